#!/usr/bin/env python3
"""Reads the facts of the vendor's C API out of its published 8.0 headers.

Usage: python3 scripts/vendor_tables.py VENDOR_INCLUDE_DIR

Writes, relative to the repository root (the parent of this script's folder):

  src/ffi/table_data.rs         the tables `include!`d by src/ffi/table.rs
  tests/c/abi_surface.c         the ABI check over the whole surface
  tests/c/exported_symbols.txt  every function name, sorted (LC_ALL=C)

Only facts are taken out of the headers (names, C types, enumerator values,
key strings, the JSON type word of each key); none of the vendor's prose.
The 8.x changes (see `EIGHT_X` below) are applied on top of the 8.0 facts.

The `kind` column of FUNCTIONS is ours: when table_data.rs already exists,
the kind of every function found there is kept; only new functions get the
default rule (`default_kind`).

Stdlib only (Python 3.11). Fails with an exception on anything it does not
understand, so nothing is silently mangled.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------
# The headers, in the order of `Header::ALL` (src/ffi/table.rs).

HEADERS = [
    ("CloudDef", "TIMCloudDef.h"),
    ("ErrorCode", "TIMErrorCode.h"),
    ("Manager", "TIMManager.h"),
    ("Conversation", "TIMConversationManager.h"),
    ("Message", "TIMMessageManager.h"),
    ("Group", "TIMGroupManager.h"),
    ("Community", "TIMCommunityManager.h"),
    ("Friendship", "TIMFriendshipManager.h"),
    ("OfflinePush", "TIMOfflinePushManager.h"),
    ("Signaling", "TIMSignalingManager.h"),
    ("Experimental", "TIMExperimentalAPI.h"),
]
# Declare none of the tables' items (checked).
OTHER_HEADERS = ["TIMCloud.h", "TIMCloudComm.h"]

IMPLEMENTED = {
    "TIMConvCreate",
    "TIMConvDelete",
    "TIMConvGetConvList",
    "TIMConvSetDraft",
    "TIMConvCancelDraft",
    "TIMInit",
    "TIMUninit",
    "TIMGetSDKVersion",
    "TIMGetServerTime",
    "TIMSetConfig",
    "TIMLogin",
    "TIMLogout",
    "TIMGetLoginUserID",
    "TIMGetLoginStatus",
    "callExperimentalAPI",
}
LISTENER_RE = re.compile(r"^TIM(Set|Add|Remove)\w*Callback$")

# Parameters (besides every `char*` output buffer) for which the vendor gives
# NULL a meaning.
NULLABLE = [
    ("TIMInit", "json_sdk_config"),
    ("TIMMsgReportReaded", "conv_id"),
    ("TIMMsgReportReaded", "json_msg_param"),
    ("TIMConvCleanConversationUnreadMessageCount", "conversation_id"),
    ("TIMGetMyFollowingList", "next_cursor"),
    ("TIMGetMyFollowersList", "next_cursor"),
    ("TIMGetMutualFollowersList", "next_cursor"),
    ("TIMUnsubscribeUserInfo", "json_user_id_list"),
    ("TIMUnsubscribeUserStatus", "json_identifier_array"),
    ("TIMMsgSetOfflinePushToken", "json_token"),
]

BASE_TYPES = {
    "const char*",
    "char*",
    "const void*",
    "bool",
    "int",
    "int32_t",
    "uint32_t",
    "int64_t",
    "uint64_t",
}

# JSON type words of the key comments (`// <type>, <access>, <prose>`).
TYPE_WORDS = {
    "string",
    "bool",
    "int",
    "int32",
    "int64",
    "uint",
    "uint8",
    "uint32",
    "uint64",
    "double",
    "object",
    "array",
    "elem",
    "value",
}
# Type words the vendor spells as C types once or twice.
TYPE_WORD_FIXES = {"uint32_t": "uint32", "uint64_t": "uint64", "int32_t": "int32", "int64_t": "int64"}


# ---------------------------------------------------------------------------
# The facts.


@dataclass
class Param:
    ty: str
    name: str
    nullable: bool = False


@dataclass
class Function:
    header: str
    ret: str
    name: str
    params: list[Param]
    kind: str = ""


@dataclass
class Callback:
    header: str
    ret: str
    name: str
    params: list[Param]
    vendor_params: list[Param] | None = None  # the 8.0 parameters, when the 8.x changes differ


@dataclass
class Enum:
    header: str
    name: str
    items: list[tuple[str, int]]
    added: set[str] = field(default_factory=set)  # enumerators added by the 8.x changes


@dataclass
class Key:
    header: str
    name: str
    value: str
    ty: str


@dataclass
class Alias:
    header: str
    name: str
    target: str


@dataclass
class Surface:
    functions: list[Function] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    enums: list[Enum] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # oddities and changes, for the summary
    block_typed: list[str] = field(default_factory=list)  # keys typed from a comment block


class VendorError(Exception):
    pass


# ---------------------------------------------------------------------------
# Lexing helpers.


def strip_comments(text: str) -> str:
    """Replaces every comment by spaces, keeping newlines (so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            if j < 0:
                raise VendorError("unterminated /* comment")
            j += 2
            out.append("".join("\n" if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\":
                    j += 1
                if text[j] == "\n":
                    raise VendorError(f"newline in a literal at offset {i}")
                j += 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def norm_ws(s: str) -> str:
    return " ".join(s.split())


class TypeNormalizer:
    def __init__(self, enum_names: set[str], callback_names: set[str]):
        self.enum_names = enum_names
        self.callback_names = callback_names

    def norm(self, raw: str, where: str, ret: bool = False) -> str:
        t = norm_ws(raw)
        t = re.sub(r"\s*\*\s*", "*", t)  # `const char *` -> `const char*`
        if t in BASE_TYPES:
            return t
        if ret and t == "void":
            return t
        m = re.fullmatch(r"(?:enum )?(\w+)", t)
        if m and m.group(1) in self.enum_names:
            return "enum " + m.group(1)
        if m and m.group(1) in self.callback_names and not t.startswith("enum "):
            return t
        raise VendorError(f"{where}: unknown type {raw!r}")

    def params(self, raw: str, where: str) -> list[Param]:
        raw = norm_ws(raw)
        if raw in ("", "void"):
            return []
        params = []
        for part in raw.split(","):
            m = re.fullmatch(r"\s*(.+?)\s*\b([A-Za-z_]\w*)\s*", part)
            if not m:
                raise VendorError(f"{where}: cannot read parameter {part!r}")
            ty = self.norm(m.group(1), f"{where}, parameter {m.group(2)}")
            params.append(Param(ty, m.group(2), nullable=(ty == "char*")))
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise VendorError(f"{where}: duplicate parameter names {names}")
        return params


# ---------------------------------------------------------------------------
# Enumerator values: a tiny evaluator of C integer constant expressions with
# C's types (int / unsigned int / long / unsigned long, LP64), so that for
# example `0x01 << 31` is INT_MIN, as the vendor's compiler makes it.

TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>0[xX][0-9a-fA-F]+|[0-9]+)(?P<suf>[uUlL]*)(?![\w])|(?P<id>[A-Za-z_]\w*)|(?P<op><<|>>|[-+~|&^*/%()]))"
)


@dataclass(frozen=True)
class CInt:
    v: int
    bits: int  # 32 or 64
    unsigned: bool


def wrap(v: int, bits: int, unsigned: bool) -> CInt:
    v &= (1 << bits) - 1
    if not unsigned and v >= 1 << (bits - 1):
        v -= 1 << bits
    return CInt(v, bits, unsigned)


def fits(v: int, bits: int, unsigned: bool) -> bool:
    if unsigned:
        return 0 <= v < 1 << bits
    return -(1 << (bits - 1)) <= v < 1 << (bits - 1)


def literal(text: str, suf: str) -> CInt:
    v = int(text, 0) if not re.fullmatch(r"0[0-7]+", text) else int(text, 8)
    suf = suf.lower()
    if suf not in ("", "u", "l", "ul", "lu", "ll", "ull", "llu"):
        raise VendorError(f"bad integer suffix {suf!r}")
    hexa = text[:2].lower() == "0x" or (len(text) > 1 and text[0] == "0")
    long_ = "l" in suf
    uns = "u" in suf
    cands = []
    if not long_:
        cands += [(32, False), (32, True)] if (hexa or uns) else [(32, False)]
    cands += [(64, False), (64, True)] if (hexa or uns) else [(64, False)]
    if uns:
        cands = [c for c in cands if c[1]]
    for bits, u in cands:
        if fits(v, bits, u):
            return CInt(v, bits, u)
    raise VendorError(f"integer literal {text}{suf} too large")


def common(a: CInt, b: CInt) -> tuple[int, bool]:
    if a.bits == b.bits:
        return a.bits, a.unsigned or b.unsigned
    big, small = (a, b) if a.bits > b.bits else (b, a)
    return big.bits, big.unsigned  # a signed 64-bit type holds every 32-bit value


class ExprParser:
    def __init__(self, text: str, names: dict[str, int], where: str):
        self.toks = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = TOKEN_RE.match(text, pos)
            if not m or m.end() == pos:
                raise VendorError(f"{where}: cannot read expression {text!r}")
            self.toks.append(m)
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0
        self.names = names
        self.where = where
        self.text = text

    def peek(self) -> str | None:
        if self.i >= len(self.toks):
            return None
        return self.toks[self.i].group("op")

    def parse(self) -> CInt:
        v = self.binary(0)
        if self.i != len(self.toks):
            raise VendorError(f"{self.where}: trailing tokens in {self.text!r}")
        return v

    LEVELS = [["|"], ["^"], ["&"], ["<<", ">>"], ["+", "-"], ["*", "/", "%"]]

    def binary(self, level: int) -> CInt:
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self.LEVELS[level]:
            op = self.peek()
            self.i += 1
            right = self.binary(level + 1)
            left = self.apply(op, left, right)
        return left

    def apply(self, op: str, a: CInt, b: CInt) -> CInt:
        if op in ("<<", ">>"):
            if b.v < 0 or b.v >= a.bits:
                raise VendorError(f"{self.where}: shift out of range in {self.text!r}")
            return wrap(a.v << b.v if op == "<<" else a.v >> b.v, a.bits, a.unsigned)
        bits, uns = common(a, b)
        x, y = wrap(a.v, bits, uns).v, wrap(b.v, bits, uns).v
        if op in ("/", "%"):
            if y == 0:
                raise VendorError(f"{self.where}: division by zero")
            q = abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1)
            r = x - q * y
            return wrap(q if op == "/" else r, bits, uns)
        res = {"|": x | y, "^": x ^ y, "&": x & y, "+": x + y, "-": x - y, "*": x * y}[op]
        return wrap(res, bits, uns)

    def unary(self) -> CInt:
        op = self.peek()
        if op in ("-", "+", "~"):
            self.i += 1
            v = self.unary()
            if op == "-":
                return wrap(-v.v, v.bits, v.unsigned)
            if op == "~":
                return wrap(~v.v, v.bits, v.unsigned)
            return v
        if op == "(":
            self.i += 1
            v = self.binary(0)
            if self.peek() != ")":
                raise VendorError(f"{self.where}: missing ) in {self.text!r}")
            self.i += 1
            return v
        if self.i >= len(self.toks):
            raise VendorError(f"{self.where}: incomplete expression {self.text!r}")
        t = self.toks[self.i]
        self.i += 1
        if t.group("num"):
            return literal(t.group("num"), t.group("suf"))
        if t.group("id"):
            name = t.group("id")
            if name not in self.names:
                raise VendorError(f"{self.where}: unknown name {name} in {self.text!r}")
            v = self.names[name]
            return CInt(v, 32, False) if fits(v, 32, False) else CInt(v, 64, False)
        raise VendorError(f"{self.where}: unexpected {t.group(0)!r} in {self.text!r}")


# ---------------------------------------------------------------------------
# Parsing the headers.

FUNC_RE = re.compile(r"\bTIM_API\s+([\w\s\*]+?)\s*\b([A-Za-z_]\w*)\s*\(([^()]*)\)\s*;")
CB_RE = re.compile(r"\btypedef\s+([\w\s\*]+?)\s*\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\(([^()]*)\)\s*;")
ENUM_RE = re.compile(r"\benum\s+([A-Za-z_]\w*)\s*\{([^{}]*)\}\s*;")
KEY_RE = re.compile(r'^\s*static\s+const\s+char\s*\*\s*([A-Za-z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*;\s*$')
DEFINE_RE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)(.*)$")
NOT_ALIASES = {"TIM_API", "TIM_DECL", "true", "false"}


def key_type(comment_line: str) -> str:
    """The JSON type word(s) of a `// <type>, ...` comment, or ''."""
    m = re.match(r"\s*//(.*)$", comment_line)
    if not m:
        return ""
    head = re.split(r"[,，]", m.group(1), maxsplit=1)[0]
    toks = head.split()
    out = []
    i = 0
    while i < len(toks):
        t = TYPE_WORD_FIXES.get(toks[i], toks[i])
        if t in TYPE_WORDS:
            out.append(t)
            i += 1
        elif t == "@ref" and out and i + 1 < len(toks) and re.fullmatch(r"[A-Za-z_]\w*", toks[i + 1]):
            out.append(toks[i + 1])
            i += 2
        else:
            break
    # A type starts with a type word (`@ref X` alone is not a type).
    return " ".join(out)


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def read_headers(inc: str) -> dict[str, tuple[str, str]]:
    out = {}
    for _, fname in HEADERS:
        with open(os.path.join(inc, fname), encoding="utf-8") as f:
            raw = f.read()
        out[fname] = (raw, strip_comments(raw))
    return out


def parse(inc: str) -> Surface:
    files = read_headers(inc)
    s = Surface()
    header_of = {fname: h for h, fname in HEADERS}

    # Enums first (all headers), then callback names, so that types resolve.
    enum_values: dict[str, int] = {}
    enumerator_header: dict[str, str] = {}
    for h, fname in HEADERS:
        code = files[fname][1]
        for m in ENUM_RE.finditer(code):
            name = m.group(1)
            where = f"{fname}:{line_of(code, m.start())} enum {name}"
            if any(e.name == name for e in s.enums):
                raise VendorError(f"{where}: enum declared twice")
            items: list[tuple[str, int]] = []
            nxt = 0
            for part in m.group(2).split(","):
                part = part.strip()
                if not part:
                    continue
                em = re.fullmatch(r"([A-Za-z_]\w*)\s*(?:=\s*(.+))?", part, re.S)
                if not em:
                    raise VendorError(f"{where}: cannot read enumerator {part!r}")
                ename, expr = em.group(1), em.group(2)
                if expr is not None:
                    cv = ExprParser(norm_ws(expr), enum_values, f"{where} {ename}").parse()
                    v = cv.v
                    if not fits(v, 32, False):
                        s.notes.append(
                            f"oddity: {fname} {ename} = {norm_ws(expr)} is {v}, outside int's range"
                        )
                    elif norm_ws(expr).find("<<") >= 0 and v < 0:
                        s.notes.append(
                            f"oddity: {fname} {name}::{ename} = {norm_ws(expr)} shifts into the sign bit: "
                            f"{v} (INT_MIN) with the vendor's compiler; the table has {v}"
                        )
                else:
                    v = nxt
                if ename in enum_values:
                    raise VendorError(f"{where}: enumerator {ename} declared twice "
                                      f"(also in {enumerator_header[ename]})")
                enum_values[ename] = v
                enumerator_header[ename] = fname
                items.append((ename, v))
                nxt = v + 1
            s.enums.append(Enum(h, name, items))
    enum_names = {e.name for e in s.enums}

    cb_names = set()
    for h, fname in HEADERS:
        for m in CB_RE.finditer(files[fname][1]):
            cb_names.add(m.group(2))
    tn = TypeNormalizer(enum_names, cb_names)

    seen_keys: dict[str, str] = {}
    for h, fname in HEADERS:
        raw, code = files[fname]
        raw_lines = raw.split("\n")
        code_lines = code.split("\n")

        for m in CB_RE.finditer(code):
            where = f"{fname}:{line_of(code, m.start())} typedef {m.group(2)}"
            if any(c.name == m.group(2) for c in s.callbacks):
                raise VendorError(f"{where}: declared twice")
            s.callbacks.append(
                Callback(h, tn.norm(m.group(1), where, ret=True), m.group(2), tn.params(m.group(3), where))
            )

        for m in FUNC_RE.finditer(code):
            where = f"{fname}:{line_of(code, m.start())} {m.group(2)}"
            if any(f.name == m.group(2) for f in s.functions):
                raise VendorError(f"{where}: declared twice")
            s.functions.append(
                Function(h, tn.norm(m.group(1), where, ret=True), m.group(2), tn.params(m.group(3), where))
            )
        # Every TIM_API outside comments must have been read.
        n_api = len(re.findall(r"\bTIM_API\b", code))
        n_read = sum(1 for f in s.functions if f.header == h)
        if n_api != n_read:
            raise VendorError(f"{fname}: {n_api} TIM_API but {n_read} declarations read")
        n_td = len(re.findall(r"\btypedef\b", code))
        n_cb = sum(1 for c in s.callbacks if c.header == h)
        if n_td != n_cb:
            raise VendorError(f"{fname}: {n_td} typedefs but {n_cb} callbacks read")
        n_enum = len(re.findall(r"\benum\s+\w+\s*\{", code))
        if n_enum != sum(1 for e in s.enums if e.header == h):
            raise VendorError(f"{fname}: an enum was not read")

        for ln, line in enumerate(code_lines):
            if "static" in line and "char" in line:
                km = KEY_RE.match(line)
                if not km:
                    raise VendorError(f"{fname}:{ln + 1}: cannot read key line {line.strip()!r}")
                name, value = km.group(1), km.group(2)
                if "\\" in value:
                    raise VendorError(f"{fname}:{ln + 1}: escape in key string {value!r}")
                if name in seen_keys:
                    raise VendorError(
                        f"key {name} declared twice: {seen_keys[name]} and {fname}:{ln + 1}"
                    )
                seen_keys[name] = f"{fname}:{ln + 1}"
                ty = key_type(raw_lines[ln - 1]) if ln > 0 else ""
                if not ty:
                    # The type line may be the first of a block of comment
                    # lines (`// object @ref X, ...` then `// @note` lines):
                    # take the nearest type line of the `//` block above.
                    j = ln - 1
                    while j >= 0 and raw_lines[j].lstrip().startswith("//") and not ty:
                        ty = key_type(raw_lines[j])
                        j -= 1
                    if ty:
                        s.block_typed.append(name)
                s.keys.append(Key(h, name, value, ty))
            dm = DEFINE_RE.match(line)
            if dm:
                name, rest = dm.group(1), dm.group(2).strip()
                if name in NOT_ALIASES or re.search(r"_H_?$", name):
                    continue
                if not re.fullmatch(r"[A-Za-z_]\w*", rest):
                    raise VendorError(f"{fname}:{ln + 1}: #define {name} {rest!r} is not an alias")
                if rest in NOT_ALIASES:
                    continue
                s.aliases.append(Alias(h, name, rest))

    for fname in OTHER_HEADERS:
        with open(os.path.join(inc, fname), encoding="utf-8") as f:
            code = strip_comments(f.read())
        if ENUM_RE.search(code) or CB_RE.search(code) or FUNC_RE.search(code) or "static const char" in code:
            raise VendorError(f"{fname} declares a table item; the script does not expect that")

    # Alias targets must exist (a key or an enumerator); a name must not be
    # both an alias and something else.
    keys = {k.name for k in s.keys}
    alias_seen: dict[str, Alias] = {}
    for a in s.aliases:
        if a.target not in keys and a.target not in enum_values:
            raise VendorError(f"alias {a.name} -> {a.target}: the target is neither a key nor an enumerator")
        if a.name in keys or a.name in enum_values:
            raise VendorError(f"alias {a.name} is also a key or an enumerator")
        if a.name in alias_seen:
            prev = alias_seen[a.name]
            if prev.target != a.target:
                raise VendorError(f"alias {a.name} defined twice with different targets")
            s.notes.append(
                f"oddity: alias {a.name} -> {a.target} is defined in both {header_file(prev.header)} "
                f"and {header_file(a.header)} (same target; both kept)"
            )
        alias_seen[a.name] = a
    return s


def header_file(h: str) -> str:
    return dict(HEADERS)[h]


# ---------------------------------------------------------------------------
# The 8.x changes and the nullable rule.


def apply_8x(s: Surface) -> None:
    enums = {e.name: e for e in s.enums}

    # 1. TIMReceiveMessageOpt gains kTIMRecvMsgOpt_Not_Receive_Except_At = 4.
    e = enums["TIMReceiveMessageOpt"]
    names = [n for n, _ in e.items]
    if "kTIMRecvMsgOpt_Not_Receive_Except_At" in names:
        v = dict(e.items)["kTIMRecvMsgOpt_Not_Receive_Except_At"]
        if v != 4:
            raise VendorError(f"kTIMRecvMsgOpt_Not_Receive_Except_At is {v} in the headers, 8.x says 4")
        s.notes.append("8.x change 1: kTIMRecvMsgOpt_Not_Receive_Except_At = 4 already in the 8.0 headers")
    else:
        if dict(e.items).get("kTIMRecvMsgOpt_Not_Notify_Except_At") != 3:
            raise VendorError("TIMReceiveMessageOpt: kTIMRecvMsgOpt_Not_Notify_Except_At is not 3")
        i = names.index("kTIMRecvMsgOpt_Not_Notify_Except_At")
        e.items.insert(i + 1, ("kTIMRecvMsgOpt_Not_Receive_Except_At", 4))
        e.added.add("kTIMRecvMsgOpt_Not_Receive_Except_At")
        s.notes.append(
            "8.x change 1 applied: TIMReceiveMessageOpt gains kTIMRecvMsgOpt_Not_Receive_Except_At = 4 "
            "(absent in the 8.0 headers)"
        )

    # 2. TIMConvConversationsDeletedFromGroupCallback's parameters.
    want = [
        Param("const char*", "group_name"),
        Param("const char*", "conversation_array"),
        Param("uint32_t", "reason"),
        Param("const void*", "user_data"),
    ]
    cb = next(c for c in s.callbacks if c.name == "TIMConvConversationsDeletedFromGroupCallback")
    got = [(p.ty, p.name) for p in cb.params]
    if got == [(p.ty, p.name) for p in want]:
        s.notes.append(
            "8.x change 2: TIMConvConversationsDeletedFromGroupCallback already has "
            "(const char* group_name, const char* conversation_array, uint32_t reason, const void* user_data) "
            "in the 8.0 headers"
        )
    else:
        s.notes.append(f"8.x change 2 applied: TIMConvConversationsDeletedFromGroupCallback was {got}")
        cb.vendor_params = cb.params
        cb.params = want

    # 3. Enumerators that must be there.
    must = {
        "TIMConvEvent": ("Conversation", [
            ("kTIMConvEvent_Add", 0), ("kTIMConvEvent_Del", 1), ("kTIMConvEvent_Update", 2),
            ("kTIMConvEvent_Start", 3), ("kTIMConvEvent_Finish", 4),
        ]),
        "TIMConversationMarkType": ("Conversation", [
            ("kTIMConversationMarkTypeStar", 1), ("kTIMConversationMarkTypeUnread", 2),
            ("kTIMConversationMarkTypeFold", 4), ("kTIMConversationMarkTypeHide", 8),
        ]),
        "TIMGroupAtType": ("Conversation", [
            ("kTIMGroup_At_Me", 1), ("kTIMGroup_At_All", 2), ("kTIMGroup_At_All_At_ME", 3),
        ]),
    }
    missing = []
    for ename, (h, items) in must.items():
        if ename not in enums:
            e = Enum(h, ename, [], set())
            s.enums.append(e)
            enums[ename] = e
            missing.append(f"enum {ename}")
        e = enums[ename]
        have = dict(e.items)
        for n, v in items:
            if n in have:
                if have[n] != v:
                    raise VendorError(f"{ename}::{n} is {have[n]} in the headers, 8.x says {v}")
            else:
                e.items.append((n, v))
                e.added.add(n)
                missing.append(f"{ename}::{n} = {v}")
    if missing:
        s.notes.append("8.x change 3: added what the 8.0 headers lack: " + ", ".join(missing))
    else:
        s.notes.append(
            "8.x change 3: nothing to add (TIMConvEvent, TIMConversationMarkType, TIMGroupAtType "
            "are complete in the 8.0 headers)"
        )


def apply_nullable(s: Surface) -> None:
    funcs = {f.name: f for f in s.functions}
    for fname, pname in NULLABLE:
        if fname not in funcs:
            raise VendorError(f"nullable rule: no function {fname}")
        ps = [p for p in funcs[fname].params if p.name == pname]
        if len(ps) != 1:
            raise VendorError(f"nullable rule: {fname} has no parameter {pname}")
        ps[0].nullable = True


def default_kind(name: str) -> str:
    if name in IMPLEMENTED:
        return "Implemented"
    if LISTENER_RE.match(name):
        return "Listener"
    return "NotAvailable"


def read_kinds(path: str) -> dict[str, str]:
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        text = f.read()
    kinds = {}
    for m in re.finditer(r"\bFunction\s*\{(.*?)\}\s*,", text, re.S):
        body = m.group(1)
        km = re.search(r"\bkind\s*:\s*Kind::(\w+)", body)
        nm = re.search(r'\bname\s*:\s*"(\w+)"', body)
        if not km or not nm:
            raise VendorError(f"{path}: cannot read the kind of {body[:80]!r}")
        if km.group(1) not in ("Implemented", "Listener", "NotAvailable"):
            raise VendorError(f"{path}: unknown kind {km.group(1)} for {nm.group(1)}")
        kinds[nm.group(1)] = km.group(1)
    if "FUNCTIONS" in text and not kinds:
        raise VendorError(f"{path}: has FUNCTIONS but no kinds could be read")
    return kinds


def apply_kinds(s: Surface, old: dict[str, str]) -> None:
    names = {f.name for f in s.functions}
    for f in s.functions:
        f.kind = old.get(f.name) or default_kind(f.name)
    gone = sorted(set(old) - names)
    if gone:
        s.notes.append("warning: functions in the old table_data.rs but not in the headers: " + ", ".join(gone))
    new = [f.name for f in s.functions if f.name not in old]
    if old and new:
        s.notes.append("new functions (default kind): " + ", ".join(new))


# ---------------------------------------------------------------------------
# Output: table_data.rs


def rs_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rs_params(params: list[Param]) -> str:
    return "&[" + ", ".join(f"{'n' if p.nullable else 'p'}({rs_str(p.ty)}, {rs_str(p.name)})" for p in params) + "]"


def by_header(items):
    order = {h: i for i, (h, _) in enumerate(HEADERS)}
    return sorted(items, key=lambda x: order[x.header])  # stable: keeps source order


def write_rust(s: Surface, path: str) -> None:
    out = [
        "// Generated by `scripts/vendor_tables.py` from the vendor's 8.0 headers, with the",
        "// 8.x changes applied. Do not edit by hand, except the `kind` column, which is",
        "// ours: the script keeps the kind found here for every function when it",
        "// regenerates this file.",
        "",
        "#[rustfmt::skip]",
        "pub const FUNCTIONS: &[Function] = &[",
    ]
    for f in by_header(s.functions):
        out.append(
            f"    Function {{ header: Header::{f.header}, kind: Kind::{f.kind}, ret: {rs_str(f.ret)}, "
            f"name: {rs_str(f.name)}, params: {rs_params(f.params)} }},"
        )
    out += ["];", "", "#[rustfmt::skip]", "pub const CALLBACKS: &[Callback] = &["]
    for c in by_header(s.callbacks):
        out.append(
            f"    Callback {{ header: Header::{c.header}, name: {rs_str(c.name)}, ret: {rs_str(c.ret)}, "
            f"params: {rs_params(c.params)} }},"
        )
    out += ["];", "", "#[rustfmt::skip]", "pub const ENUMS: &[Enum] = &["]
    for e in by_header(s.enums):
        items = ", ".join(f"({rs_str(n)}, {v})" for n, v in e.items)
        out.append(f"    Enum {{ header: Header::{e.header}, name: {rs_str(e.name)}, items: &[{items}] }},")
    out += ["];", "", "#[rustfmt::skip]", "pub const KEYS: &[Key] = &["]
    for k in by_header(s.keys):
        out.append(
            f"    Key {{ header: Header::{k.header}, name: {rs_str(k.name)}, value: {rs_str(k.value)}, "
            f"ty: {rs_str(k.ty)} }},"
        )
    out += ["];", "", "#[rustfmt::skip]", "pub const ALIASES: &[Alias] = &["]
    for a in by_header(s.aliases):
        out.append(f"    Alias {{ header: Header::{a.header}, name: {rs_str(a.name)}, target: {rs_str(a.target)} }},")
    out += ["];", ""]
    write(path, "\n".join(out))


# ---------------------------------------------------------------------------
# Output: abi_surface.c

C_GUARD = "ABI_SURFACE_VENDOR_8_0"


def c_params(params: list[Param]) -> str:
    if not params:
        return "void"
    return ", ".join(f"{p.ty} {p.name}" for p in params)


def c_int(v: int) -> str:
    if v == -(1 << 31):
        return "(-2147483647 - 1)"
    if fits(v, 32, False):
        return str(v)
    if v == -(1 << 63):
        return "(-9223372036854775807LL - 1)"
    return f"{v}LL" if v < 0 or v < 1 << 63 else f"{v}ULL"


def c_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_c(s: Surface, path: str) -> None:
    enumerators = {n: (e, v) for e in s.enums for n, v in e.items}
    keys = {k.name: k for k in s.keys}
    n_static = 0  # static assertions in both languages (the C++ is_same ones too, counted once)
    n_guarded = 0  # the same, left out with C_GUARD
    o = []
    w = o.append
    w("/* ABI surface check, generated by scripts/vendor_tables.py from the vendor's")
    w(" * 8.0 headers with the 8.x changes applied. Do not edit: regenerate.")
    w(" *")
    w(" * Compiled as C11 and as C++11 with -Wall -Wextra -Werror -pedantic after")
    w(" * including TIMCloud.h. Every callback typedef and every function prototype")
    w(" * is declared again as the vendor declares it (functions once with TIM_API")
    w(" * and once with TIM_DECL): a different type is a compile error. Enumerator")
    w(" * values, enum sizes and enumerator aliases are static assertions; key")
    w(" * strings (and key aliases) are compared at run time, and every function's")
    w(" * address is taken and checked. The static assertions count as passed (the")
    w(" * file compiled). Prints one line per failure, then")
    w(' * "abi_surface: N passed, M failed"; exits non-zero on a failure.')
    w(" *")
    w(f" * Against the vendor's own 8.0 headers (C++ only), define {C_GUARD}:")
    w(" * that leaves out what the 8.x changes add. */")
    w("")
    w('#include "TIMCloud.h"')
    w("")
    w("#include <stdio.h>")
    w("#include <string.h>")
    w("")
    w("#ifdef __cplusplus")
    w("#include <type_traits>")
    w("#define SA(cond, msg) static_assert(cond, msg);")
    w("#else")
    w("#define SA(cond, msg) _Static_assert(cond, msg);")
    w("#endif")
    w("")
    w("/* ---- Callback typedefs ---------------------------------------------------- */")
    w("")
    for c in by_header(s.callbacks):
        if c.vendor_params is not None:
            w(f"#ifdef {C_GUARD}")
            w(f"typedef {c.ret} (*{c.name})({c_params(c.vendor_params)});")
            w("#else")
            w(f"typedef {c.ret} (*{c.name})({c_params(c.params)});")
            w("#endif")
        else:
            w(f"typedef {c.ret} (*{c.name})({c_params(c.params)});")
    w("")
    w("/* ---- Function prototypes -------------------------------------------------- */")
    w("")
    w("#ifndef TIM_API")
    w('#error "TIM_API is not defined by the headers"')
    w("#endif")
    w("#ifndef TIM_DECL")
    w('#error "TIM_DECL is not defined by the headers"')
    w("#endif")
    w("")
    w("#ifdef __cplusplus")
    w('extern "C" {')
    w("#endif")
    w("")
    fs = by_header(s.functions)
    for macro in ("TIM_API", "TIM_DECL"):
        for f in fs:
            w(f"{macro} {f.ret} {f.name}({c_params(f.params)});")
        w("")
    w("#ifdef __cplusplus")
    w('}  /* extern "C" */')
    w("#endif")
    w("")
    w("/* ---- Enums ---------------------------------------------------------------- */")
    w("")
    for e in by_header(s.enums):
        w(f"/* enum {e.name} */")
        if fits(min(v for _, v in e.items), 32, False) and fits(max(v for _, v in e.items), 32, False):
            w(f'SA(sizeof(enum {e.name}) == sizeof(int), "enum {e.name} is int-sized")')
            n_static += 1
        for n, v in e.items:
            lines = [f'SA({n} == {c_int(v)}, "{n} == {v}")']
            lines.append("#ifdef __cplusplus")
            lines.append(f'SA((std::is_same<decltype({n}), enum {e.name}>::value), "{n} is an enum {e.name}")')
            lines.append("#endif")
            if n in e.added:
                lines = [f"#ifndef {C_GUARD}"] + lines + ["#endif"]
            o.extend(lines)
            if n in e.added:
                n_guarded += 1
            else:
                n_static += 1
        w("")
    w("/* ---- Enumerator aliases --------------------------------------------------- */")
    w("")
    done = set()
    key_aliases = []
    for a in by_header(s.aliases):
        if a.name in done:
            continue
        done.add(a.name)
        if a.target in enumerators:
            v = enumerators[a.target][1]
            w(f'SA({a.name} == {c_int(v)}, "{a.name} == {v}")')
            n_static += 1
        else:
            key_aliases.append(a)
    w("")
    w("/* ---- Run-time checks -------------------------------------------------------- */")
    w("")
    w("static int g_pass;")
    w("static int g_fail;")
    w("")
    w("static void check_key(const char* name, const char* got, const char* want) {")
    w("    if (got != NULL && strcmp(got, want) == 0) {")
    w("        g_pass++;")
    w("    } else {")
    w("        g_fail++;")
    w('        printf("FAIL: %s is \\"%s\\", want \\"%s\\"\\n", name, got ? got : "(null)", want);')
    w("    }")
    w("}")
    w("")
    w("#define KEY(name, want) check_key(#name, name, want);")
    w("")
    for h, fname in HEADERS:
        ks = [k for k in s.keys if k.header == h]
        if not ks:
            continue
        w(f"/* {fname} */")
        w(f"static void check_keys_{h.lower()}(void) {{")
        for k in ks:
            w(f"    KEY({k.name}, {c_str(k.value)})")
        w("}")
        w("")
    w("static void check_key_aliases(void) {")
    for a in key_aliases:
        w(f"    KEY({a.name}, {c_str(keys[a.target].value)})")
    w("}")
    w("")
    w("struct fn_row {")
    w("    const char* name;")
    w("    void (*fn)(void);")
    w("};")
    w("")
    w("static const struct fn_row k_functions[] = {")
    for f in fs:
        w(f'    {{"{f.name}", (void (*)(void))&{f.name}}},')
    w("};")
    w("")
    w("/* Static assertions above (all passed, or this file would not compile); an")
    w(" * enumerator's value and, in C++, its type count as one check. */")
    w(f"#ifdef {C_GUARD}")
    w(f"#define STATIC_CHECKS {n_static}")
    w("#else")
    w(f"#define STATIC_CHECKS {n_static + n_guarded}")
    w("#endif")
    w("")
    w("int main(void) {")
    w("    size_t i;")
    w("    for (i = 0; i < sizeof k_functions / sizeof k_functions[0]; i++) {")
    w("        if (k_functions[i].fn != NULL) {")
    w("            g_pass++;")
    w("        } else {")
    w("            g_fail++;")
    w('            printf("FAIL: %s has no address\\n", k_functions[i].name);')
    w("        }")
    w("    }")
    for h, _ in HEADERS:
        if any(k.header == h for k in s.keys):
            w(f"    check_keys_{h.lower()}();")
    w("    check_key_aliases();")
    w("    g_pass += STATIC_CHECKS;")
    w('    printf("abi_surface: %d passed, %d failed\\n", g_pass, g_fail);')
    w("    return g_fail > 0 ? 1 : 0;")
    w("}")
    w("")
    write(path, "\n".join(o))


# ---------------------------------------------------------------------------


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def summary(s: Surface) -> str:
    rows = []
    hdr = f"{'header':<26} {'fn':>4} {'impl':>5} {'lsnr':>5} {'n/a':>5} {'cb':>4} {'enum':>5} {'items':>6} {'keys':>5} {'alias':>6}"
    rows.append(hdr)
    tot = [0] * 9
    for h, fname in HEADERS:
        fs = [f for f in s.functions if f.header == h]
        vals = [
            len(fs),
            sum(f.kind == "Implemented" for f in fs),
            sum(f.kind == "Listener" for f in fs),
            sum(f.kind == "NotAvailable" for f in fs),
            sum(c.header == h for c in s.callbacks),
            sum(e.header == h for e in s.enums),
            sum(len(e.items) for e in s.enums if e.header == h),
            sum(k.header == h for k in s.keys),
            sum(a.header == h for a in s.aliases),
        ]
        tot = [a + b for a, b in zip(tot, vals)]
        rows.append(f"{fname:<26} " + " ".join(f"{v:>{w}}" for v, w in zip(vals, [4, 5, 5, 5, 4, 5, 6, 5, 6])))
    rows.append(f"{'total':<26} " + " ".join(f"{v:>{w}}" for v, w in zip(tot, [4, 5, 5, 5, 4, 5, 6, 5, 6])))
    no_ty = [k.name for k in s.keys if not k.ty]
    rows.append(f"keys without a type comment: {len(no_ty)}" + (f" ({', '.join(no_ty)})" if no_ty else ""))
    if s.block_typed:
        rows.append(
            f"keys typed from the comment block above (not the line just above): {len(s.block_typed)} "
            f"({', '.join(s.block_typed)})"
        )
    rows += s.notes
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    inc = argv[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rs_path = os.path.join(root, "src", "ffi", "table_data.rs")
    c_path = os.path.join(root, "tests", "c", "abi_surface.c")
    sym_path = os.path.join(root, "tests", "c", "exported_symbols.txt")

    s = parse(inc)
    # The ABI check is generated from the vendor's facts before our nullable
    # and kind columns (which it does not use), after the 8.x changes.
    apply_8x(s)
    apply_nullable(s)
    apply_kinds(s, read_kinds(rs_path))

    write_rust(s, rs_path)
    write_c(s, c_path)
    write(sym_path, "".join(n + "\n" for n in sorted({f.name for f in s.functions}, key=lambda x: x.encode())))
    print(summary(s))
    print(f"wrote {rs_path}\nwrote {c_path}\nwrote {sym_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
