"""The aeropatrol command line and the wiring that joins the packages into one system."""
