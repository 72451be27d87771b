from tinhso.core.text import fold, nfc


def test_fold_strips_diacritics_and_case() -> None:
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold("  CHỨNG   THỰC bản sao ") == "chung thuc ban sao"


def test_fold_handles_decomposed_input() -> None:
    decomposed = "Đa\u0306ng ky\u0301"  # "Đăng ký" typed with combining marks
    assert fold(decomposed) == "dang ky"
    assert nfc(decomposed) == "Đăng ký"


def test_commands_print_no_cryptography_deprecation_warning():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "tinhso.cli", "check-migrations"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "DeprecationWarning" not in result.stderr
