from tinhso.core.text import fold, nfc


def test_fold_strips_diacritics_and_case() -> None:
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold("  CHỨNG   THỰC bản sao ") == "chung thuc ban sao"


def test_fold_handles_decomposed_input() -> None:
    decomposed = "Đa\u0306ng ky\u0301"  # "Đăng ký" typed with combining marks
    assert fold(decomposed) == "dang ky"
    assert nfc(decomposed) == "Đăng ký"
