"""Can EmoTune create and write its settings and data folders?"""

from __future__ import annotations

from emotune.doctor.result import CheckResult


def check_user_dirs() -> CheckResult:
    """Create (if needed) the settings and data folders and check they are writable folders."""
    from emotune.paths import UserDirError, user_config_dir, user_data_dir

    found = []
    for folder in (user_config_dir, user_data_dir):
        try:
            found.append(str(folder()))
        except UserDirError as error:
            detail, _, fix = str(error).partition("; ")
            return CheckResult(
                "user_dirs",
                "User folders",
                False,
                f"{detail} (settings and the library cache are not saved)",
                hint=(fix[:1].upper() + fix[1:] + ".") if fix else "",
            )
    return CheckResult("user_dirs", "User folders", True, ", ".join(found))
