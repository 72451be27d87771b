"""tinhso — tỉnh số: the digital government platform of a Vietnamese province."""

import warnings

__version__ = "0.1.0"

# pyHanko imports cryptography's DSA module at import time, and cryptography warns that DSA is
# deprecated: every command printed that warning. tinhso never signs with DSA (EC P-256 and RSA
# only), so the warning says nothing to an operator. Only this one warning is silenced.
warnings.filterwarnings("ignore", message=r"DSA is deprecated")
