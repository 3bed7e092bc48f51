"""Finding a sound card or sound server, so that a machine without one plays silently on VLC's
dummy output instead of flooding the terminal with ALSA errors."""

from __future__ import annotations

from emotune.doctor.sound import check_sound_output
from emotune.music.playback.backends import sound_output
from emotune.music.playback.backends.sound_output import find_sound_output

CARDS = """ 0 [PCH            ]: HDA-Intel - HDA Intel PCH
                      HDA Intel PCH at 0xf7f10000 irq 32
 1 [Device         ]: USB-Audio - USB Audio Device
"""


def test_alsa_cards_count_as_an_output(tmp_path):
    cards = tmp_path / "cards"
    cards.write_text(CARDS)
    found = find_sound_output(
        env={"XDG_RUNTIME_DIR": str(tmp_path / "run")}, cards_file=cards, platform="linux"
    )
    assert found.available is True
    assert "2 ALSA sound card(s)" in found.detail and "HDA-Intel" in found.detail


def test_no_cards_and_no_server_means_no_output(tmp_path):
    cards = tmp_path / "cards"
    cards.write_text("--- no soundcards ---\n")
    found = find_sound_output(
        env={"XDG_RUNTIME_DIR": str(tmp_path / "run")}, cards_file=cards, platform="linux"
    )
    assert found.available is False
    assert "no sound card" in found.detail


def test_a_missing_proc_file_is_no_cards(tmp_path):
    found = find_sound_output(
        env={"XDG_RUNTIME_DIR": str(tmp_path)}, cards_file=tmp_path / "absent", platform="linux"
    )
    assert found.available is False


def test_a_pulseaudio_or_pipewire_socket_counts_without_a_card(tmp_path):
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "native").touch()
    found = find_sound_output(
        env={"XDG_RUNTIME_DIR": str(tmp_path)}, cards_file=tmp_path / "absent", platform="linux"
    )
    assert found.available is True and "pulse" in found.detail
    (tmp_path / "pulse" / "native").unlink()
    (tmp_path / "pipewire-0").touch()
    assert find_sound_output(
        env={"XDG_RUNTIME_DIR": str(tmp_path)}, cards_file=tmp_path / "absent", platform="linux"
    ).available


def test_pulse_server_variable_counts(tmp_path):
    found = find_sound_output(
        env={"PULSE_SERVER": "tcp:host", "XDG_RUNTIME_DIR": str(tmp_path)},
        cards_file=tmp_path / "absent",
        platform="linux",
    )
    assert found.available is True and "tcp:host" in found.detail


def test_other_platforms_are_not_guessed(tmp_path):
    assert (
        find_sound_output(env={}, cards_file=tmp_path / "absent", platform="darwin").available
        is None
    )


def test_doctor_warns_but_never_fails_without_sound(monkeypatch):
    monkeypatch.setattr(
        sound_output, "find_sound_output", lambda: sound_output.SoundOutput(False, "nothing")
    )
    import emotune.doctor.sound as doctor_sound

    monkeypatch.setattr(
        doctor_sound, "find_sound_output", lambda: sound_output.SoundOutput(False, "nothing")
    )
    result = check_sound_output()
    assert result.ok is False and result.status == "warning" and result.essential is False
    assert "silently" in result.hint
