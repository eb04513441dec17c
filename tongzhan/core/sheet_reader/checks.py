"""Every refusal of an upload, run on the raw bytes before any parser sees them (SECURITY.md F1)."""

from __future__ import annotations

import codecs
import io
import struct
import zipfile
from collections.abc import Iterator
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import SheetRefused

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Zip-bomb limits, judged on the central directory before anything is inflated. A real 100,000-row
# sheet inflates to about 100 MB at a ratio of 10–30; a bomb is hundreds or thousands to one.
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
RATIO_FLOOR_BYTES = 1024 * 1024  # a member smaller than this inflated is never a bomb, whatever its ratio
MAX_ZIP_MEMBERS = 10_000
MAX_PROLOG_BYTES = 256 * 1024  # how far into an XML part its prolog may run before the root element
MAX_MERGE_COLUMNS = 1024  # a merged range is clipped here (A1:XFD1 must not make 16,384 cells a row)

XLSX_EXTENSIONS = (".xlsx", ".xltx")
XLS_EXTENSIONS = (".xls", ".xlt")
CSV_EXTENSIONS = (".csv", ".txt")
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".xla", ".xlsb")
WORKBOOK_EXTENSIONS = XLSX_EXTENSIONS + XLS_EXTENSIONS

SPREADSHEET_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Content that is plainly something else, named in the refusal so the user knows what they picked.
FOREIGN_MAGICS = (
    (b"MZ", _("Windows 可执行程序")),
    (b"\x7fELF", _("可执行程序")),
    (b"%PDF", _("PDF 文档")),
    (b"\x89PNG", _("图片")),
    (b"\xff\xd8\xff", _("图片")),
    (b"GIF8", _("图片")),
    (b"Rar!", _("RAR 压缩包")),
    (b"7z\xbc\xaf\x27\x1c", _("7z 压缩包")),
    (b"\x1f\x8b", _("gzip 压缩包")),
    (b"{\\rtf", _("RTF 文档")),
)

BIFF_FORMULA_OPCODES = (0x0006, 0x0206, 0x0406)
BIFF_BOF_OPCODES = (0x0809, 0x0409, 0x0209, 0x0009)
BIFF_EOF = 0x000A
BIFF_FILEPASS = 0x002F
BIFF_BOUNDSHEET = 0x0085


def _cap(max_bytes: int | None) -> int:
    if max_bytes is not None:
        return max_bytes
    return int(getattr(settings, "TONGZHAN_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def _check(data: bytes, filename: str, max_bytes: int | None) -> tuple[str, str | None]:
    """(kind, csv encoding) of an upload that passes every check; SheetRefused otherwise."""
    cap = _cap(max_bytes)
    if len(data) > cap:
        raise SheetRefused("too_large", _("文件大小 {size} MB，超过上限 {cap} MB；请拆分后分批导入"),
                           size=_mb(len(data)), cap=_mb(cap))
    if not data.strip():
        raise SheetRefused("empty", _("文件是空的，没有任何内容"))
    ext = PurePath(filename or "").suffix.lower()
    if ext in MACRO_EXTENSIONS:
        raise SheetRefused("macros", _("不接受启用宏或二进制格式的工作簿（{ext}）：请在 Excel/WPS 中另存为 .xlsx 后再上传"),
                           ext=ext)
    if ext not in WORKBOOK_EXTENSIONS + CSV_EXTENSIONS:
        raise SheetRefused("not_a_spreadsheet", _("只接受 .xlsx、.xls 和 .csv 文件，收到的是“{ext}”文件"),
                           ext=ext or _("无扩展名"))
    head = data[:8]
    if head.startswith(ZIP_MAGICS):
        if ext not in WORKBOOK_EXTENSIONS:
            raise SheetRefused("not_a_spreadsheet", _("文件扩展名是 {ext}，内容却是压缩包或 Excel 工作簿，与文件名不符"),
                               ext=ext)
        return _check_zip(data), None
    if head == OLE_MAGIC:
        kind = _check_ole(data)
        if ext not in WORKBOOK_EXTENSIONS:
            raise SheetRefused("not_a_spreadsheet", _("文件扩展名是 {ext}，内容却是 Excel 97-2003 工作簿，与文件名不符"),
                               ext=ext)
        return kind, None
    for magic, what in FOREIGN_MAGICS:
        if data.startswith(magic):
            raise SheetRefused("not_a_spreadsheet", _("文件名是 {ext}，内容却是{what}，不是表格文件"), ext=ext, what=what)
    text, encoding = _decode_text(data)
    probe = text[:2048].lstrip("\ufeff \t\r\n").lower()
    if probe.startswith(("<?xml", "<html", "<!doctype", "<table")):
        # Some systems export a web page or an Excel 2003 XML file and name it .xls.
        raise SheetRefused("not_a_spreadsheet", _("文件内容是网页或 XML，不是真正的表格文件；"
                                                  "请在 Excel/WPS 中打开后另存为 .xlsx 或 .csv"))
    if ext not in CSV_EXTENSIONS:
        raise SheetRefused("not_a_spreadsheet", _("文件扩展名是 {ext}，内容却是纯文本，不是 Excel 工作簿；"
                                                  "如果是 CSV，请把扩展名改为 .csv"), ext=ext)
    return "csv", encoding


def _check_zip(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise SheetRefused("corrupt", _("Excel 文件已损坏（压缩包结构不完整），无法打开")) from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise SheetRefused("zip_bomb", _("压缩包内有 {n} 个文件，远超正常工作簿，疑似压缩炸弹，已拒绝"), n=len(infos))
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SheetRefused("zip_bomb", _("文件解压后将达 {size} MB，超过上限 {cap} MB，疑似压缩炸弹，已拒绝"),
                           size=_mb(total), cap=_mb(MAX_UNCOMPRESSED_BYTES))
    for info in infos:
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise SheetRefused("zip_bomb", _("文件中“{part}”的压缩比高达 {ratio}:1，疑似压缩炸弹，已拒绝"),
                               part=info.filename, ratio=info.file_size // max(info.compress_size, 1))
    if any(info.flag_bits & 0x1 for info in infos):
        raise SheetRefused("encrypted", _("压缩包设置了密码，无法读取；请去掉密码后重新上传"))
    names = {info.filename for info in infos}
    lowered = {name.lower() for name in names}
    if any(n.endswith("vbaproject.bin") or n.startswith(("xl/macrosheets/", "xl/dialogsheets/")) for n in lowered):
        raise SheetRefused("macros", _("工作簿含有宏（VBA 或宏表），不接受；请在 Excel/WPS 中另存为不含宏的 .xlsx"))
    if "[Content_Types].xml" not in names:
        raise SheetRefused("not_a_spreadsheet", _("文件是一个压缩包，但不是 Excel 工作簿"))
    for info in infos:
        _check_xml_prolog(archive, info)
    types = _content_types(archive)
    if any("macroenabled" in t.lower() or "vbaproject" in t.lower() or "macrosheet" in t.lower() for t in types.values()):
        raise SheetRefused("macros", _("工作簿声明了启用宏的内容类型，不接受；请在 Excel/WPS 中另存为不含宏的 .xlsx"))
    main = [part for part, kind in types.items() if kind in SPREADSHEET_MAIN_TYPES]
    if not main:
        if any("wordprocessingml" in t for t in types.values()):
            raise SheetRefused("not_a_spreadsheet", _("文件是 Word 文档，不是 Excel 工作簿"))
        if any("presentationml" in t for t in types.values()):
            raise SheetRefused("not_a_spreadsheet", _("文件是 PowerPoint 演示文稿，不是 Excel 工作簿"))
        raise SheetRefused("not_a_spreadsheet", _("文件是一个压缩包，但不是 Excel 工作簿"))
    if main[0].lstrip("/") not in names:
        raise SheetRefused("corrupt", _("Excel 文件已损坏：缺少工作簿主体部分"))
    return "xlsx"


def _content_types(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part name → content type from [Content_Types].xml (overrides; defaults keyed by "*.ext")."""
    from defusedxml import ElementTree as SafeET

    if archive.getinfo("[Content_Types].xml").file_size > 1024 * 1024:  # a real one is a few KB
        raise SheetRefused("corrupt", _("Excel 文件已损坏：内容类型清单异常庞大"))
    try:
        root = SafeET.fromstring(archive.read("[Content_Types].xml"), forbid_dtd=True)
    except Exception as exc:  # defusedxml raises several types; any of them means a broken part
        raise SheetRefused("corrupt", _("Excel 文件已损坏：内容类型清单无法解析")) from exc
    types = {}
    for element in root:
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "Override":
            types[element.get("PartName", "")] = element.get("ContentType", "")
        elif tag == "Default":
            types["*." + element.get("Extension", "")] = element.get("ContentType", "")
    return types


_PROLOG_SKIPS = (("<?", "?>"), ("<!--", "-->"))


def _check_xml_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a part whose prolog declares a DOCTYPE or ENTITY (billion laughs, external entities).

    XML 1.0 §2.8 puts the document type declaration before the root element, and a parser rejects one
    anywhere else, so reading up to the first element is enough: the scan is a few bytes per part,
    not a pass over a 100 MB sheet. Parts that do not start with "<" are not XML and are skipped.
    """
    if info.is_dir() or info.file_size == 0:
        return
    try:
        with archive.open(info) as stream:
            raw = stream.read(4096)
            decoder = _prolog_decoder(raw)
            text = decoder.decode(raw)
            while True:
                verdict = _prolog_verdict(text)
                if verdict is not None or len(raw) >= MAX_PROLOG_BYTES:
                    break
                more = stream.read(16384)
                if not more:
                    break
                raw += more
                text += decoder.decode(more)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise SheetRefused("corrupt", _("Excel 文件已损坏：“{part}”无法解压"), part=info.filename) from exc
    if verdict == "declaration" or (verdict is None and len(raw) >= MAX_PROLOG_BYTES):
        raise SheetRefused("xml_entities", _("文件中“{part}”含有 XML 实体或文档类型声明（DOCTYPE/ENTITY），"
                                             "可能是恶意构造的文件，已拒绝"), part=info.filename)


def _prolog_decoder(raw: bytes):
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return codecs.getincrementaldecoder("utf-16")(errors="replace")
    if raw.startswith(b"<\x00"):
        return codecs.getincrementaldecoder("utf-16-le")(errors="replace")
    if raw.startswith(b"\x00<"):
        return codecs.getincrementaldecoder("utf-16-be")(errors="replace")
    return codecs.getincrementaldecoder("utf-8-sig")(errors="replace")


def _prolog_verdict(text: str) -> str | None:
    """"element" once the root element starts, "declaration" on <!DOCTYPE/<!ENTITY or any other <!…>
    outside a comment, "binary" when the part is not XML; None when more text is needed."""
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if pos >= len(text):
            return None
        if text[pos] != "<":
            return "binary"
        for opening, closing in _PROLOG_SKIPS:
            if text.startswith(opening, pos):
                end = text.find(closing, pos + len(opening))
                if end < 0:
                    return None
                pos = end + len(closing)
                break
        else:
            if text.startswith("<!", pos):
                return "declaration"
            if len(text) - pos < 2:
                return None
            return "element"


def _check_ole(data: bytes) -> str:
    import olefile

    try:
        ole = olefile.OleFileIO(data)
    except Exception as exc:  # olefile raises OSError and its own types for a broken container
        raise SheetRefused("corrupt", _("Excel 97-2003 文件已损坏，无法打开")) from exc
    try:
        entries = {"/".join(path).lower(): path for path in ole.listdir(streams=True, storages=True)}
        if "encryptioninfo" in entries or "encryptedpackage" in entries:
            raise SheetRefused("encrypted", _("工作簿设置了打开密码（已加密），无法读取；请在 Excel/WPS 中取消密码后重新上传"))
        if any(name.startswith(("_vba_project_cur", "macros", "_vba_project")) for name in entries):
            raise SheetRefused("macros", _("工作簿含有宏（VBA），不接受；请在 Excel/WPS 中另存为不含宏的 .xlsx"))
        stream_name = next((entries[n] for n in ("workbook", "book") if n in entries), None)
        if stream_name is None:
            if "worddocument" in entries:
                raise SheetRefused("not_a_spreadsheet", _("文件是 Word 97-2003 文档，不是 Excel 工作簿"))
            if "powerpoint document" in entries:
                raise SheetRefused("not_a_spreadsheet", _("文件是 PowerPoint 97-2003 演示文稿，不是 Excel 工作簿"))
            raise SheetRefused("not_a_spreadsheet", _("文件是 Office 复合文档，但不是 Excel 工作簿"))
        try:
            stream = ole.openstream(stream_name).read()
        except Exception as exc:
            raise SheetRefused("corrupt", _("Excel 97-2003 文件已损坏，无法读取工作簿数据")) from exc
    finally:
        ole.close()
    encrypted, macros = _biff_globals(stream)
    if encrypted:
        raise SheetRefused("encrypted", _("工作簿设置了打开密码（已加密），无法读取；请在 Excel/WPS 中取消密码后重新上传"))
    if macros:
        raise SheetRefused("macros", _("工作簿含有宏表（Excel 4.0 宏或 VB 模块），不接受；请另存为不含宏的 .xlsx"))
    return "xls"


def _biff_records(mem: bytes, pos: int = 0) -> Iterator[tuple[int, int, int]]:
    """(opcode, data offset, data length) of each BIFF record from `pos` on."""
    end = len(mem)
    while pos + 4 <= end:
        opcode, length = struct.unpack_from("<HH", mem, pos)
        yield opcode, pos + 4, length
        pos += 4 + length


def _biff_globals(mem: bytes) -> tuple[bool, bool]:
    """(encrypted, has macro sheets) from the workbook globals: a FILEPASS record means a password;
    a BOUNDSHEET of type 1 (Excel 4.0 macro sheet) or 6 (VB module) means macros."""
    encrypted = macros = False
    for opcode, offset, length in _biff_records(mem):
        if opcode == BIFF_FILEPASS:
            encrypted = True
        elif opcode == BIFF_BOUNDSHEET and length >= 6 and mem[offset + 5] in (1, 6):
            macros = True
        elif opcode == BIFF_EOF:
            break
    return encrypted, macros


# Text: UTF-8 (with or without BOM), GBK, GB18030, and Excel's "Unicode text" (UTF-16 with BOM).


def _decode_text(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise SheetRefused("encoding", _("文件标明是 UTF-16 编码，但内容无法按该编码读取")) from exc
    if b"\x00" in data[:65536]:
        raise SheetRefused("not_a_spreadsheet", _("文件内容是二进制数据，不是表格文件"))
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            raise SheetRefused("encoding", _("文件标明是 UTF-8 编码，但第 {n} 个字节起无法按 UTF-8 读取"),
                               n=exc.start + 4) from exc
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and _looks_like_big5(data):
            raise SheetRefused("encoding", _("文件看起来是繁体中文 Big5 编码，按简体编码读取会成为乱码；"
                                             "请在 Excel/WPS 中另存为“CSV UTF-8”或 .xlsx"))
        return text, encoding
    guess = _guess_encoding(data)
    raise SheetRefused("encoding", _("无法识别文件的文字编码（既不是 UTF-8，也不是 GBK/GB18030{guess}）；"
                                     "请在 Excel/WPS 中另存为“CSV UTF-8”或 .xlsx"), guess=guess)


def _sample(data: bytes, size: int = 65536) -> bytes:
    """The first `size` bytes, cut after a line break so no character is split."""
    if len(data) <= size:
        return data
    cut = data.rfind(b"\n", 0, size)
    return data[: cut + 1] if cut > 0 else data[:size]


def _looks_like_big5(data: bytes) -> bool:
    """GBK failed and GB18030 decoded: rare in real GB text (only characters outside GBK need it), but
    Big5 bytes nearly always decode as GB18030, into nonsense. charset-normalizer settles which."""
    from charset_normalizer import from_bytes

    best = from_bytes(_sample(data), cp_isolation=["gb18030", "big5"]).best()
    return best is not None and best.encoding == "big5"


def _guess_encoding(data: bytes) -> str:
    """charset-normalizer's guess, only to make the refusal more helpful."""
    from charset_normalizer import from_bytes

    best = from_bytes(_sample(data)).best()
    return f"，看起来是 {best.encoding}" if best is not None else ""
