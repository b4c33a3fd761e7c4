"""Login dialog against the local store's user directory (argon2 hashes live in ``infractions.store.users``)."""
from __future__ import annotations

from PyQt5.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from groundstation.session import Session


class LoginDialog(QDialog):
    """Username + password; on success ``session`` holds the authenticated user and role."""

    def __init__(self, directory, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("AeroPatrol — log in")
        self.directory = directory
        self.session: Session | None = None
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.username = QLineEdit()
        self.password = QLineEdit(echoMode=QLineEdit.Password)
        form.addRow("User", self.username)
        form.addRow("Password", self.password)
        lay.addLayout(form)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b71c1c;")
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def try_login(self) -> bool:
        """Authenticate; the wrong-password message does not say which field was wrong."""
        try:
            user = self.directory.authenticate(self.username.text().strip(), self.password.text())
        except PermissionError as exc:
            self.error.setText(str(exc) or "unknown user or wrong password")
            self.password.clear()
            return False
        self.session = Session(user.username, user.role, user)
        self.accept()
        return True
