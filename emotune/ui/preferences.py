"""File ▸ Preferences…: every setting applies as it is changed, and is remembered.

:class:`PreferencesDialog` only shows the choices and reports changes through its signals;
:class:`PreferencesControl` applies them (player thread for the DJ, the vision worker for the
camera, a rescan for folders) and saves them in the settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from emotune.settings import Setting, Settings
from emotune.ui.widgets.player_panel import STRATEGIES

if TYPE_CHECKING:
    from emotune.ui.controller import AppController

HOLD_RANGE = (0.5, 30.0)  # seconds: faster is jumpy, slower hardly follows at all
FALLBACK_CAMERAS = 4  # indexes offered when no camera can be listed by name


def camera_choices() -> list[tuple[int, str]]:
    """``(index, "index: name")`` of the cameras found, else plain indexes to choose from."""
    from emotune.vision.sources import list_cameras

    cameras = [(c.index, f"{c.index}: {c.name}") for c in list_cameras()]
    return cameras or [(i, f"Camera {i}") for i in range(FALLBACK_CAMERAS)]


class PreferencesDialog(QDialog):
    """The form. Signals fire on every change; nothing waits for an OK button."""

    music_hold_changed = Signal(float)
    strategy_changed = Signal(str)
    camera_changed = Signal(int)
    start_camera_off_changed = Signal(bool)
    folders_changed = Signal(list)  # [str]
    rescan_requested = Signal()
    audio_device_changed = Signal(object)  # device id (str) or None for the system default

    def __init__(
        self,
        settings: Settings,
        cameras: list[tuple[int, str]],
        parent: QWidget | None = None,
    ) -> None:
        """Show the current ``settings`` (typed and checked by their schema); ``cameras`` are
        (index, label) choices."""
        super().__init__(parent)
        self.setWindowTitle("EmoTune Preferences")
        self.setMinimumWidth(520)

        self.hold = QDoubleSpinBox(self)
        self.hold.setRange(*HOLD_RANGE)
        self.hold.setSingleStep(0.5)
        self.hold.setDecimals(1)
        self.hold.setSuffix(" s")
        self.hold.setValue(settings.get(Setting.MUSIC_HOLD_S))
        self.hold.setToolTip("How long a new mood must hold before the music follows it")
        self.hold.valueChanged.connect(self.music_hold_changed)

        self.strategy = QComboBox(self)
        for key, label, tip in STRATEGIES:
            self.strategy.addItem(label, key)
            self.strategy.setItemData(self.strategy.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self._select(self.strategy, settings.get(Setting.STRATEGY))
        self.strategy.currentIndexChanged.connect(
            lambda i: self.strategy_changed.emit(self.strategy.itemData(i))
        )

        self.camera = QComboBox(self)
        for index, label in cameras:
            self.camera.addItem(label, index)
        self._select(self.camera, settings.get(Setting.CAMERA_INDEX))
        self.camera.currentIndexChanged.connect(
            lambda i: self.camera_changed.emit(int(self.camera.itemData(i)))
        )
        self.camera_off = QCheckBox("Start with the camera off", self)
        self.camera_off.setChecked(settings.get(Setting.START_CAMERA_OFF))
        self.camera_off.setToolTip(
            "Nothing is captured until you switch it on (Camera ▸ Camera on)"
        )
        self.camera_off.toggled.connect(self.start_camera_off_changed)

        self.folders = QListWidget(self)
        self.folders.addItems([str(f) for f in settings.get(Setting.LIBRARY_FOLDERS)])
        self.folders.setMinimumHeight(80)
        self.folders.setAccessibleName("Library folders")
        add = QPushButton("Add…", self)
        add.clicked.connect(self._add_folder)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self._remove_folder)
        rescan = QPushButton("Rescan now", self)
        rescan.clicked.connect(self.rescan_requested)
        folder_buttons = QVBoxLayout()
        for button in (add, self.remove_button, rescan):
            folder_buttons.addWidget(button)
        folder_buttons.addStretch(1)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folders, 1)
        folder_row.addLayout(folder_buttons)
        demo = QLabel("The demo library is always included.", self)
        demo.setObjectName("dim")

        self.audio = QComboBox(self)
        self.audio.addItem("System default", None)
        self._saved_device = settings.get(Setting.AUDIO_DEVICE)
        self.audio.currentIndexChanged.connect(
            lambda i: self.audio_device_changed.emit(self.audio.itemData(i))
        )

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Music follows a new mood after", self.hold)
        form.addRow("Strategy", self.strategy)
        form.addRow("Camera", self.camera)
        form.addRow("", self.camera_off)
        form.addRow("Music folders", folder_row)
        form.addRow("", demo)
        form.addRow("Sound output", self.audio)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        note = QLabel("Changes apply at once and are remembered.", self)
        note.setObjectName("dim")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        footer = QHBoxLayout()
        footer.addWidget(note, 1)
        footer.addWidget(buttons)
        layout.addLayout(footer)

    @staticmethod
    def _select(combo: QComboBox, data: object) -> None:
        index = combo.findData(data)
        if index >= 0:
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)

    def set_audio_devices(self, devices: list[tuple[str, str]]) -> None:
        """Fill the sound output list (it arrives from the player thread)."""
        self.audio.blockSignals(True)
        while self.audio.count() > 1:
            self.audio.removeItem(1)
        for device_id, description in devices:
            self.audio.addItem(description, device_id)
        index = self.audio.findData(self._saved_device) if self._saved_device else 0
        self.audio.setCurrentIndex(max(0, index))
        self.audio.blockSignals(False)

    def folder_list(self) -> list[str]:
        """The folders listed now."""
        return [self.folders.item(i).text() for i in range(self.folders.count())]

    def add_folder(self, path: str) -> None:
        """Add ``path`` (once) and report the new list."""
        if path and path not in self.folder_list():
            self.folders.addItem(path)
            self.folders_changed.emit(self.folder_list())

    def _add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a music folder", str(Path.home()))
        self.add_folder(path)

    def _remove_folder(self) -> None:
        row = self.folders.currentRow()
        if row >= 0:
            self.folders.takeItem(row)
            self.folders_changed.emit(self.folder_list())


class PreferencesControl(QObject):
    """Opens the dialog and applies each change to the app, saving it in the settings."""

    music_hold_changed = Signal(float)  # for the mood filter (it also reads the setting)

    def __init__(self, controller: AppController, parent: QObject | None = None) -> None:
        """Connect to File ▸ Preferences…."""
        super().__init__(parent)
        self.controller = controller
        self.settings = controller.settings
        self.dialog: PreferencesDialog | None = None
        controller.window.preferences_action.triggered.connect(self.open)

    def open(self) -> PreferencesDialog:
        """Show the dialog (one at a time) and return it."""
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        dialog = PreferencesDialog(self.settings, camera_choices(), self.controller.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._forget_dialog)
        dialog.music_hold_changed.connect(self.set_music_hold)
        dialog.strategy_changed.connect(self.set_strategy)
        dialog.camera_changed.connect(self.set_camera)
        dialog.start_camera_off_changed.connect(
            lambda off: self.settings.set(Setting.START_CAMERA_OFF, bool(off))
        )
        dialog.folders_changed.connect(self.set_folders)
        dialog.rescan_requested.connect(self.controller.library.rescan)
        dialog.audio_device_changed.connect(self.controller.player.set_output_device)
        self.controller.player.output_devices_listed.connect(dialog.set_audio_devices)
        self.controller.player.list_output_devices()
        self.dialog = dialog
        dialog.show()
        return dialog

    def _forget_dialog(self) -> None:
        self.dialog = None

    def set_music_hold(self, seconds: float) -> None:
        """How fast the music follows the face."""
        self.settings.set(Setting.MUSIC_HOLD_S, float(seconds))
        self.music_hold_changed.emit(float(seconds))

    def set_strategy(self, key: str) -> None:
        """match / lift / calm, as the player panel's menu does."""
        self.controller.window.player.set_strategy(key)
        self.controller.player.set_strategy(key)

    def set_camera(self, index: int) -> None:
        """Use camera ``index`` from now on; switch to it now if the camera is on."""
        self.controller.camera.use_camera(index)

    def set_folders(self, folders: list[str]) -> None:
        """New music folders: remember them and rescan."""
        self.settings.set(Setting.LIBRARY_FOLDERS, list(folders))
        self.controller.library.folders = None  # the scan's defaults now read the settings
        self.controller.library.rescan()
