"""Problem bundles: loading, validation, the spec of `problem.toml`, and where the built-in pack lives."""

from grader.bundle._archive import MAX_BUNDLE_BYTES, ArchiveError, ArchiveLimits, check_name, read_zip
from grader.bundle._load import Bundle, BundleError, bundle_from_files, bundle_to_zip, load_bundle, load_bundle_zip
from grader.bundle._npz import DataError, load_npz
from grader.bundle._pack import PACK_DIR, list_pack
from grader.bundle._schema import DiagnoseSpec, MistakeSpec, ProblemSpec, TestSpec, ToleranceSpec
from grader.bundle._seeds import derive_seed, local_seed_key, seed_key_from_text

__all__ = [
    "MAX_BUNDLE_BYTES",
    "PACK_DIR",
    "ArchiveError",
    "ArchiveLimits",
    "Bundle",
    "BundleError",
    "DataError",
    "DiagnoseSpec",
    "MistakeSpec",
    "ProblemSpec",
    "TestSpec",
    "ToleranceSpec",
    "bundle_from_files",
    "bundle_to_zip",
    "check_name",
    "derive_seed",
    "list_pack",
    "load_bundle",
    "load_bundle_zip",
    "load_npz",
    "local_seed_key",
    "read_zip",
    "seed_key_from_text",
]
