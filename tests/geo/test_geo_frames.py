"""Local ENU / WGS84 / UTM frames: round trips and a cross-check against pymap3d."""
import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.frames import LocalFrame, UtmFrame, bearing_deg, utm_crs_for


def test_enu_round_trip_within_a_millimetre():
    frame = LocalFrame(47.3977, 8.5456, 488.0)
    rng = np.random.default_rng(1)
    e, n, u = rng.uniform(-5000, 5000, 1000), rng.uniform(-5000, 5000, 1000), rng.uniform(-50, 500, 1000)
    lat, lon, alt = frame.to_wgs84(e, n, u)
    e2, n2, u2 = frame.to_enu(lat, lon, alt)
    assert np.max(np.abs(np.stack([e2 - e, n2 - n, u2 - u]))) < 1e-3


@settings(max_examples=40, deadline=None)
@given(lat0=st.floats(-80, 80), lon0=st.floats(-179, 179), h0=st.floats(-100, 3000),
       de=st.floats(-0.02, 0.02), dn=st.floats(-0.02, 0.02), dh=st.floats(-200, 500))
def test_enu_matches_pymap3d(lat0, lon0, h0, de, dn, dh):
    frame = LocalFrame(lat0, lon0, h0)
    lat, lon, h = lat0 + dn, lon0 + de, h0 + dh
    e, n, u = frame.to_enu(lat, lon, h)
    e_ref, n_ref, u_ref = pymap3d.geodetic2enu(lat, lon, h, lat0, lon0, h0)
    assert abs(float(e) - e_ref) < 1e-3 and abs(float(n) - n_ref) < 1e-3 and abs(float(u) - u_ref) < 1e-3


def test_known_utm_coordinates():
    utm = UtmFrame.for_point(0.0, 3.0)  # zone 31 central meridian on the equator
    assert utm.crs.to_epsg() == 32631
    x, y = utm.to_utm(0.0, 3.0)
    assert float(x) == pytest.approx(500000.0, abs=1e-6) and float(y) == pytest.approx(0.0, abs=1e-6)
    assert utm_crs_for(-33.9, 18.4).to_epsg() == 32734
    lat, lon = utm.to_wgs84(*utm.to_utm(np.array([1.0, 2.5]), np.array([2.0, 4.0])))
    np.testing.assert_allclose(lat, [1.0, 2.5], atol=1e-9)
    np.testing.assert_allclose(lon, [2.0, 4.0], atol=1e-9)


def test_bad_origin_is_named():
    with pytest.raises(ValueError, match="lat"):
        LocalFrame(float("nan"), 0.0)
    with pytest.raises(ValueError, match="outside"):
        LocalFrame(95.0, 0.0)


def test_bearing():
    np.testing.assert_allclose(bearing_deg(np.array([0, 1, 0, -1]), np.array([1, 0, -1, 0])), [0, 90, 180, 270])
