"""Writes src/data/digits.txt, the crate's copy of the UCI handwritten
digits, from the copy scikit-learn ships (the same 1,797 images, in the same
order, as sklearn.datasets.load_digits gives them).

Run it in a virtual environment with scikit-learn installed (never a
dependency of the crate):

    python3 -m venv target/sklearn-venv
    target/sklearn-venv/bin/pip install scikit-learn
    target/sklearn-venv/bin/python tools/digits_text.py > src/data/digits.txt

Each image is one line: its digit, a space, then its 64 pixels row by row,
each 0-16 as one base-17 digit (0-9, then a-g).
"""

from sklearn.datasets import load_digits

DIGITS = "0123456789abcdefg"

HEADER = """\
# Optical Recognition of Handwritten Digits: 1,797 images of 8 x 8 pixels.
# E. Alpaydin and C. Kaynak, 1998. UCI Machine Learning Repository,
# https://doi.org/10.24432/C50P49, licensed CC BY 4.0
# (https://creativecommons.org/licenses/by/4.0/). This is the data set's
# test part, as scikit-learn ships it, re-encoded: each line is an image,
# its digit, a space, then its 64 pixels row by row, each a count of 0-16
# written as one base-17 digit (0-9, then a-g)."""


def main():
    d = load_digits()
    print(HEADER)
    for image, label in zip(d.data.astype(int), d.target):
        print(label, "".join(DIGITS[v] for v in image))


if __name__ == "__main__":
    main()
