"""Uploads: every hostile zip or folder is refused with a clear ArchiveError, nothing ever touches the disk."""

from __future__ import annotations

import io
import os
import stat
import struct
import tarfile
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.bundle import MAX_BUNDLE_BYTES, ArchiveError, ArchiveLimits, check_name, read_zip
from grader.bundle._archive import read_folder

SMALL = ArchiveLimits(max_entries=8, max_file_bytes=1000, max_total_bytes=2500, max_ratio=200.0)
# Offsets in a central-directory record ("PK\1\2"): flags, CRC-32, uncompressed size.
CD_FLAGS, CD_CRC, CD_SIZE = 8, 16, 24


def zip_of(entries: list[tuple[str | zipfile.ZipInfo, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns on duplicate names, which we want
        with zipfile.ZipFile(buffer, "w", method) as archive:
            for name, content in entries:
                archive.writestr(name, content)
    return buffer.getvalue()


def entry(name: str, mode: int | None = None) -> zipfile.ZipInfo:
    """A ZipInfo whose stored name is exactly `name` (zipfile would cut it at a NUL byte)."""
    info = zipfile.ZipInfo(name)
    info.filename = name
    info.compress_type = zipfile.ZIP_DEFLATED
    if mode is not None:
        info.external_attr = mode << 16
    return info


def patch_central_directory(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite one field of the (first) central-directory record: the part zipfile trusts."""
    at = data.index(b"PK\x01\x02") + offset
    return data[:at] + struct.pack(fmt, value) + data[at + struct.calcsize(fmt) :]


def refused(data: bytes, limits: ArchiveLimits = SMALL) -> str:
    with pytest.raises(ArchiveError) as info:
        read_zip(data, limits)
    return str(info.value)


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../x.py", "'../x.py': '..' and empty path segments are not allowed"),
        ("a/../../x.py", "'a/../../x.py': '..' and empty path segments are not allowed"),
        ("a/..", "'a/..': '..' and empty path segments are not allowed"),
        ("a//b.py", "'a//b.py': '..' and empty path segments are not allowed"),
        ("/etc/passwd", "'/etc/passwd': absolute paths are not allowed; paths must be relative to the bundle"),
        ("C:/x.py", "'C:/x.py': absolute paths are not allowed; paths must be relative to the bundle"),
        ("C:x.py", "'C:x.py': absolute paths are not allowed; paths must be relative to the bundle"),
        ("..\\x.py", "'..\\\\x.py': use '/' in paths, not '\\'"),
        ("solution\\toy.py", "'solution\\\\toy.py': use '/' in paths, not '\\'"),
        ("toy.py\x00.txt", "'toy.py\\x00.txt': file names must not contain NUL bytes"),
        ("", "'': '..' and empty path segments are not allowed"),
        ("a/" * 151, "'a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/'...: path longer than 300 characters"),
    ],
)
def test_a_name_that_could_escape_or_confuse_is_refused(name: str, message: str) -> None:
    with pytest.raises(ArchiveError) as info:
        check_name(name)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("name", "clean"),
    [("toy.py", "toy.py"), ("solution/toy.py", "solution/toy.py"), ("./toy.py", "toy.py"), ("a/./b", "a/b")],
)
def test_a_relative_name_is_accepted_in_its_plain_form(name: str, clean: str) -> None:
    assert check_name(name) == clean


NAME_CHARS = st.sampled_from(["a", "b", ".", "..", "/", "\\", "\x00", ":", "C", " ", "é", "\n", "~"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(NAME_CHARS, max_size=12).map("".join)))
def test_check_name_accepts_only_names_that_stay_inside_or_raises_archive_error(name: str) -> None:
    try:
        clean = check_name(name)
    except ArchiveError:
        return
    parts = clean.split("/")
    assert not clean.startswith("/")
    assert ".." not in parts
    assert "" not in parts
    assert "\x00" not in clean and "\\" not in clean
    assert not (len(clean) > 1 and clean[1] == ":")
    assert len(clean) <= 300
    assert check_name(clean) == clean


# --- entries of a zip --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/etc/x", "C:/x", "a\\..\\x", "x\x00.py"])
def test_a_zip_slip_or_absolute_or_odd_entry_name_is_refused(name: str) -> None:
    data = zip_of([("problem.toml", b""), (entry(name), b"boom")])
    with pytest.raises(ArchiveError) as same:
        check_name(name)
    assert refused(data) == str(same.value)


def test_the_name_zipfile_would_sanitise_is_checked_as_the_archive_really_spells_it() -> None:
    data = zip_of([(entry("ok.py\x00/../../../etc/passwd"), b"x")])
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].filename == "ok.py"
    assert "NUL bytes" in refused(data)


def test_a_symlink_entry_is_refused() -> None:
    data = zip_of([("problem.toml", b""), (entry("link.py", stat.S_IFLNK | 0o777), b"/etc/passwd")])
    assert refused(data) == "'link.py': symlinks are not allowed in a bundle"


@pytest.mark.parametrize("kind", [stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFSOCK, stat.S_IFDIR])
def test_a_device_fifo_or_other_special_entry_is_refused(kind: int) -> None:
    data = zip_of([("problem.toml", b""), (entry("dev.py", kind | 0o644), b"")])
    assert refused(data) == "'dev.py': only regular files are allowed in a bundle"


def test_regular_files_with_or_without_unix_modes_are_accepted() -> None:
    data = zip_of([(entry("a.py", stat.S_IFREG | 0o755), b"a"), (entry("b.py", 0o644), b"b"), ("c.py", b"c")])
    assert read_zip(data, SMALL) == {"a.py": b"a", "b.py": b"b", "c.py": b"c"}


def test_a_duplicate_name_is_refused() -> None:
    data = zip_of([("problem.toml", b"1"), ("problem.toml", b"2")])
    assert refused(data) == "'problem.toml' appears more than once in the zip"


def test_names_that_are_the_same_once_cleaned_are_duplicates() -> None:
    data = zip_of([("solution/toy.py", b"1"), ("solution/./toy.py", b"2")])
    assert refused(data) == "'solution/toy.py' appears more than once in the zip"


def test_too_many_entries_are_refused_before_reading_any() -> None:
    data = zip_of([(f"f{i}.py", b"") for i in range(9)])
    assert refused(data) == "the zip has 9 entries; at most 8 are allowed"


def test_directory_entries_count_towards_the_entry_limit() -> None:
    data = zip_of([(f"d{i}/", b"") for i in range(8)] + [("f.py", b"")])
    assert refused(data) == "the zip has 9 entries; at most 8 are allowed"


def test_one_file_over_the_size_cap_is_refused() -> None:
    data = zip_of([("problem.toml", b""), ("big.npz", os.urandom(1001))])
    assert refused(data) == (
        "'big.npz' is 1001 bytes; a bundle file may be at most 1000 bytes (0.000954 MiB): make the data smaller "
        "(fewer or smaller arrays, a subset of the set) and try again"
    )


def test_a_file_exactly_at_the_size_cap_is_accepted() -> None:
    content = os.urandom(1000)
    assert read_zip(zip_of([("exact.bin", content)]), SMALL) == {"exact.bin": content}


def test_files_together_over_the_total_cap_are_refused() -> None:
    data = zip_of([(f"part{i}.bin", bytes([i]) * 900) for i in range(3)])  # compresses: the zip is small
    assert refused(data) == (
        "the bundle's files add up to more than 2500 bytes (0.00238 MiB), data included, counted uncompressed: "
        "make the data smaller (fewer or smaller arrays, a subset of the set) and try again"
    )


def test_a_zip_bomb_is_refused_by_its_compression_ratio_before_it_is_inflated() -> None:
    bomb = zip_of([("problem.toml", b""), ("data/zeros.npy", bytes(2 * 1024 * 1024))])
    assert len(bomb) < 10_000
    limits = ArchiveLimits(max_file_bytes=4 * 1024 * 1024)
    assert refused(bomb, limits) == "'data/zeros.npy': compression ratio is suspiciously high (a zip bomb?)"


def test_a_small_highly_compressible_file_is_not_a_bomb() -> None:
    text = b"x = 1\n" * 20_000
    assert read_zip(zip_of([("table.py", text)]))["table.py"] == text


def test_a_zip_bomb_whose_directory_lies_about_its_size_is_caught_while_reading() -> None:
    data = zip_of([("bomb.bin", bytes(2 * 1024 * 1024))])
    lying = patch_central_directory(data, CD_SIZE, "<I", 100)
    assert "corrupt or crafted" in refused(lying)


def test_an_entry_longer_than_its_directory_says_is_refused() -> None:
    content = os.urandom(500)
    lying = patch_central_directory(zip_of([("a.bin", content)]), CD_SIZE, "<I", 100)
    assert "corrupt or crafted" in refused(lying)


def test_an_entry_longer_than_declared_is_refused_even_when_the_checksum_was_forged_to_match() -> None:
    content = os.urandom(500)
    lying = patch_central_directory(zip_of([("a.bin", content)]), CD_SIZE, "<I", 100)
    forged = patch_central_directory(lying, CD_CRC, "<I", zlib.crc32(content[:100]))
    assert "corrupt or crafted" in refused(forged)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_an_entry_shorter_than_its_directory_says_is_refused(method: int) -> None:
    lying = patch_central_directory(zip_of([("a.bin", os.urandom(100))], method), CD_SIZE, "<I", 400)
    assert "corrupt or crafted" in refused(lying)


def test_corrupt_compressed_data_is_an_archive_error() -> None:
    data = zip_of([("a.py", b"def f():\n    return 1\n" * 40)])
    start = data.index(b"a.py") + len(b"a.py")
    corrupt = data[:start] + bytes(b ^ 0xFF for b in data[start : start + 16]) + data[start + 16 :]
    assert "corrupt or crafted" in refused(corrupt)


def test_an_encrypted_entry_is_refused() -> None:
    data = patch_central_directory(zip_of([("secret.py", b"x = 1\n")]), CD_FLAGS, "<H", 0x1)
    assert refused(data) == "'secret.py': encrypted zip entries are not supported"


@pytest.mark.parametrize("data", [b"", b"hello", b"PK\x03\x04" + bytes(40), os.urandom(200)])
def test_bytes_that_are_not_a_zip_are_refused(data: bytes) -> None:
    assert refused(data).startswith("the upload is not a valid zip file (")


def test_a_tar_with_its_hard_links_and_symlinks_is_refused_as_not_a_zip() -> None:
    """Zip has no hard-link entries; tar does, so a tar upload is not accepted at all."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("problem.toml")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"x\n"))
        for name, kind in (("hard.py", tarfile.LNKTYPE), ("soft.py", tarfile.SYMTYPE)):
            link = tarfile.TarInfo(name)
            link.type, link.linkname = kind, "/etc/passwd"
            archive.addfile(link)
    assert refused(buffer.getvalue()).startswith("the upload is not a valid zip file (")


def test_an_empty_zip_gives_no_files() -> None:
    assert read_zip(zip_of([]), SMALL) == {}


# --- layout ------------------------------------------------------------------------------------


def test_a_single_top_level_folder_is_stripped() -> None:
    data = zip_of([("toy/", b""), ("toy/problem.toml", b"t"), ("toy/solution/toy.py", b"s")])
    assert read_zip(data, SMALL) == {"problem.toml": b"t", "solution/toy.py": b"s"}


def test_a_bundle_with_problem_toml_at_the_root_is_not_stripped() -> None:
    data = zip_of([("problem.toml", b"t"), ("solution/toy.py", b"s")])
    assert read_zip(data, SMALL) == {"problem.toml": b"t", "solution/toy.py": b"s"}


def test_a_zip_of_only_one_folder_with_problem_toml_deeper_is_stripped_once() -> None:
    data = zip_of([("outer/inner/problem.toml", b"t")])
    assert read_zip(data, SMALL) == {"inner/problem.toml": b"t"}


def test_two_top_level_folders_are_kept_as_they_are() -> None:
    data = zip_of([("a/x.py", b"1"), ("b/y.py", b"2")])
    assert read_zip(data, SMALL) == {"a/x.py": b"1", "b/y.py": b"2"}


def test_caches_and_desktop_litter_are_skipped() -> None:
    data = zip_of(
        [
            ("toy/problem.toml", b"t"),
            ("toy/__pycache__/cases.cpython-311.pyc", b"\x00"),
            ("toy/solution/__pycache__/toy.cpython-311.pyc", b"\x00"),
            ("toy/.git/HEAD", b"ref"),
            ("toy/.DS_Store", b"\x00"),
            ("toy/solution/Thumbs.db", b"\x00"),
        ]
    )
    assert read_zip(data, SMALL) == {"problem.toml": b"t"}


def test_a_zip_made_by_the_macos_finder_reads_as_its_folder() -> None:
    # Finder's "Compress": the folder itself, AppleDouble `._*` twins under __MACOSX/, and .DS_Store files.
    data = zip_of(
        [
            ("toy/", b""),
            ("toy/problem.toml", b"t"),
            ("toy/.DS_Store", b"\x00\x00\x00\x01Bud1"),
            ("toy/solution/", b""),
            ("toy/solution/toy.py", b"s"),
            ("toy/solution/._toy.py", b"\x00\x05\x16\x07"),
            ("__MACOSX/", b""),
            ("__MACOSX/toy/", b""),
            ("__MACOSX/toy/._problem.toml", b"\x00\x05\x16\x07"),
            ("__MACOSX/toy/solution/._toy.py", b"\x00\x05\x16\x07"),
            (".DS_Store", b"\x00"),
        ]
    )
    assert read_zip(data) == {"problem.toml": b"t", "solution/toy.py": b"s"}


def test_a_zip_larger_than_the_bundle_limit_is_refused_before_it_is_opened() -> None:
    data = zip_of([("problem.toml", os.urandom(2600))], method=zipfile.ZIP_STORED)
    assert refused(data) == (
        f"the zip is {len(data)} bytes; a bundle may be at most 2500 bytes (0.00238 MiB): make the data smaller "
        "(fewer or smaller arrays, a subset of the set) and try again"
    )


def test_the_bundle_limit_is_one_documented_constant_of_50_mib() -> None:
    assert MAX_BUNDLE_BYTES == 50 * 1024 * 1024
    assert ArchiveLimits().max_total_bytes == ArchiveLimits().max_file_bytes == MAX_BUNDLE_BYTES
    root = Path(__file__).resolve().parents[3]
    for doc in ("README.md", "reference/README.md"):
        assert "50 MiB" in (root / doc).read_text(), doc


def test_a_folder_just_over_the_bundle_limit_is_refused_as_a_zip_of_it_would_be(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "b", {"problem.toml": b"t"})
    with open(root / "data.npz", "wb") as fh:  # sparse: 55 MB on paper, nothing on disk
        fh.truncate(55_000_000)
    with pytest.raises(ArchiveError) as info:
        read_folder(root)
    assert str(info.value) == (
        "'data.npz' is 55000000 bytes; a bundle file may be at most 52428800 bytes (50 MiB): make the data "
        "smaller (fewer or smaller arrays, a subset of the set) and try again"
    )


def test_a_zip_entry_without_a_name_is_refused_with_a_reason() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.py", b"x = 1\n")
        archive.writestr(zipfile.ZipInfo(""), b"y = 2\n")
    with pytest.raises(ArchiveError, match="an entry without a name"):
        read_zip(buffer.getvalue(), SMALL)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_damaged_zip_gives_files_or_an_archive_error_never_another_exception(data: st.DataObject) -> None:
    original = bytearray(zip_of([("problem.toml", b'slug = "x"\n' * 20), ("a/b.py", b"def f():\n    pass\n" * 30)]))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(original) - 1))
        original[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(original)))
    try:
        files = read_zip(bytes(original[:cut]) if data.draw(st.booleans()) else bytes(original), SMALL)
    except ArchiveError:
        return
    assert all(isinstance(k, str) and isinstance(v, bytes) for k, v in files.items())


# --- folders -----------------------------------------------------------------------------------


def make_folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def test_a_folder_is_read_with_posix_relative_names(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "b", {"problem.toml": b"t", "solution/toy.py": b"s", "data/x.npz": b"d"})
    assert read_folder(root, SMALL) == {"problem.toml": b"t", "solution/toy.py": b"s", "data/x.npz": b"d"}


def test_a_folder_skips_caches_and_compiled_files(tmp_path: Path) -> None:
    root = make_folder(
        tmp_path / "b",
        {"problem.toml": b"t", "__pycache__/c.pyc": b"", "solution/old.pyc": b"", ".DS_Store": b"", ".git/HEAD": b""},
    )
    assert read_folder(root, SMALL) == {"problem.toml": b"t"}


def test_a_symlinked_file_in_a_folder_is_refused(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "b", {"problem.toml": b"t"})
    (tmp_path / "secret").write_bytes(b"canary")
    (root / "cases.py").symlink_to(tmp_path / "secret")
    with pytest.raises(ArchiveError) as info:
        read_folder(root, SMALL)
    assert (
        str(info.value) == f"{root / 'cases.py'}: only regular files are allowed in a bundle (no symlinks or devices)"
    )


def test_a_dangling_symlink_in_a_folder_is_refused(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "b", {"problem.toml": b"t"})
    (root / "gone.py").symlink_to(tmp_path / "nowhere")
    with pytest.raises(ArchiveError, match="only regular files are allowed"):
        read_folder(root, SMALL)


def test_a_symlinked_folder_in_a_folder_is_refused(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "b", {"problem.toml": b"t"})
    make_folder(tmp_path / "elsewhere", {"secret.py": b"canary"})
    (root / "support").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ArchiveError) as info:
        read_folder(root, SMALL)
    assert str(info.value) == f"{root / 'support'}: symlinks are not allowed in a bundle"


def test_a_fifo_in_a_folder_is_refused_without_blocking_on_it(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "b", {"problem.toml": b"t"})
    os.mkfifo(root / "pipe.py")
    with pytest.raises(ArchiveError, match="only regular files are allowed"):
        read_folder(root, SMALL)


def test_a_folder_over_the_limits_is_refused(tmp_path: Path) -> None:
    big = make_folder(tmp_path / "big", {"problem.toml": b"t", "data/x.npz": bytes(1001)})
    with pytest.raises(ArchiveError, match="is 1001 bytes; a bundle file may be at most 1000"):
        read_folder(big, SMALL)
    many = make_folder(tmp_path / "many", {f"f{i}.py": b"" for i in range(9)})
    with pytest.raises(ArchiveError, match="the bundle has more than 8 files"):
        read_folder(many, SMALL)


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"")
    with pytest.raises(ArchiveError, match="not a folder"):
        read_folder(tmp_path / "x.zip", SMALL)
