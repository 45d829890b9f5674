#!/usr/bin/python3
# mutate_gen.py — lists the operator mutants of C++ sources for `moulinette mutate`, from clang's own
# view of the code (libclang: python3-clang-14), so nothing inside a string, a character, a comment or
# a preprocessor line is ever touched. Operators follow mull's catalogue:
#   relational/equality swaps, arithmetic, bitwise and logical operators, `!` removed, ++/-- swapped,
#   integer constants +-1, conditions negated, a statement (call / assignment) removed, a returned value
#   replaced. The variadic arguments of a printf-like call (what an error message says) are left
#   alone: the subjects fix codes, not the wording of messages. Prints a JSON array: {file, line, col, start, end, op, orig, repl} (byte offsets).
# Each mutant also names its schema site (mutate_schema.cpp): gs..ge, the smallest whole expression
# ("expr") or statement ("stmt") around it that can take a runtime guard, or kind "" with a reason
# in "classic" when it must be built alone: its text would change the type of the expression, a
# constant expression may need it, or removing it may leave a name unused (a -Werror warning of the
# classic build that the schema, which keeps the code, would never see).
# usage: mutate_gen.py FILE [--root DIR] -- COMPILER-ARGS...
import json
import subprocess
import sys

import clang.cindex as ci

K = ci.CursorKind

RELATIONAL = {"<": ["<=", ">="], "<=": ["<", ">"], ">": [">=", "<="], ">=": [">", "<"], "==": ["!="], "!=": ["=="]}
ARITH = {"+": ["-"], "-": ["+"], "*": ["/"], "/": ["*"], "%": ["/"], "<<": [">>"], ">>": ["<<"], "&": ["|"], "|": ["&"],
         "^": ["&"], "&&": ["||"], "||": ["&&"]}
COMPOUND = {"+=": ["-="], "-=": ["+="], "*=": ["/="], "/=": ["*="], "%=": ["/="], "<<=": [">>="], ">>=": ["<<="],
            "&=": ["|="], "|=": ["&="], "^=": ["&="]}
REMOVABLE = {K.CALL_EXPR, K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR, K.UNARY_OPERATOR, K.UNEXPOSED_EXPR,
             K.CXX_DELETE_EXPR}


def main():
    args = sys.argv[1:]
    if "--" in args:
        cut = args.index("--")
        args, cargs = args[:cut], args[cut + 1:]
    else:
        cargs = []
    path = args[0]
    try:
        resource = subprocess.run(["clang++", "-print-resource-dir"], capture_output=True, text=True).stdout.strip()
        if resource:
            cargs = ["-resource-dir", resource] + cargs
    except OSError:
        pass
    index = ci.Index.create()
    tu = index.parse(path, args=["-x", "c++"] + cargs)
    errors = [d for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
    if errors:
        for d in errors[:5]:
            sys.stderr.write("mutate_gen: %s\n" % d)
        sys.exit(1)
    with open(path, "rb") as f:
        src = f.read()
    out = []
    seen = set()
    file_tokens = [(t.extent.start.offset, t.extent.end.offset, t.spelling) for t in tu.get_tokens(extent=tu.cursor.extent)
                   if t.location.file is not None and t.location.file.name == path and t.kind != ci.TokenKind.COMMENT]
    skip = []  # byte ranges never mutated: the variadic arguments of printf-like calls (messages)

    def in_file(c):
        f = c.location.file
        return f is not None and f.name == path

    def add(start, end, repl, op, line=None, col=None, site=None):
        orig = src[start:end].decode("utf-8", "replace")
        if any(a <= start < b for a, b in skip):
            return
        if orig == repl or (start, end, repl) in seen:
            return
        seen.add((start, end, repl))
        if line is None:
            line = src.count(b"\n", 0, start) + 1
            col = start - (src.rfind(b"\n", 0, start) + 1) + 1
        m = {"file": path, "line": line, "col": col, "start": start, "end": end, "op": op, "orig": orig, "repl": repl,
             "gs": 0, "ge": 0, "kind": "", "classic": ""}
        if isinstance(site, str):
            m["classic"] = site
        elif site is not None and site[0] <= start <= end <= site[1]:
            m["gs"], m["ge"], m["kind"] = site
        else:
            m["classic"] = "no whole expression or statement around it"
        out.append(m)

    def tokens(c):
        return [t for t in c.get_tokens() if t.location.file is not None and t.location.file.name == path]

    def extent_site(c, kind="expr"):
        # The cursor's whole text, when it lies in this file: the range a schema guard replaces. An
        # overloaded operator's extent may stop at its operator (`a <`): its operands extend it.
        s, e = None, None
        for x in [c.extent] + [k.extent for k in c.get_children()]:
            if x.start.file is None or x.end.file is None or x.start.file.name != path or x.end.file.name != path:
                return None
            s = x.start.offset if s is None else min(s, x.start.offset)
            e = x.end.offset if e is None else max(e, x.end.offset)
        if e <= s or not balanced(s, e):
            return None
        return (s, e, kind)

    def balanced(s, e):
        # Whole tokens, brackets matched: the range can be put in parentheses as it is.
        depth = 0
        inside = [t for t in file_tokens if s <= t[0] < e]
        if not inside or inside[0][0] != s or inside[-1][1] != e:
            return False
        for _, _, sp in inside:
            if sp in ("(", "[", "{"):
                depth += 1
            elif sp in (")", "]", "}"):
                depth -= 1
                if depth < 0:
                    return False
        return depth == 0

    def canon(t):
        return t.get_canonical().spelling

    def operator_token(c, lhs, rhs):
        for t in tokens(c):
            o = t.extent.start.offset
            if t.kind == ci.TokenKind.PUNCTUATION and lhs.extent.end.offset <= o < rhs.extent.start.offset:
                return t
        return None

    def swap_op(c, kids, table):
        if len(kids) != 2:
            return
        t = operator_token(c, kids[0], kids[1])
        if t is None or t.spelling not in table:
            return
        s = t.extent.start.offset
        for r in table[t.spelling]:
            add(s, s + len(t.spelling), r, "%s -> %s" % (t.spelling, r), t.location.line, t.location.column,
                extent_site(c))

    def negate(expr, what):
        s, e = expr.extent.start.offset, expr.extent.end.offset
        if expr.extent.start.file is None or expr.extent.start.file.name != path or e <= s:
            return
        text = src[s:e].decode("utf-8", "replace")
        add(s, e, "!(" + text + ")", "negate " + what, site=(s, e, "expr") if balanced(s, e) else None)

    def is_zero(e):
        # `return 0`, `return VC_OK` (an enumerator worth 0): replacing it by {} changes nothing.
        while e.kind == K.UNEXPOSED_EXPR and len(list(e.get_children())) == 1:
            e = list(e.get_children())[0]
        if e.kind == K.INTEGER_LITERAL:
            t = [x.spelling for x in e.get_tokens()]
            return t and t[0].rstrip("uUlL") in ("0", "0x0")
        if e.kind == K.DECL_REF_EXPR and e.referenced is not None and e.referenced.kind == K.ENUM_CONSTANT_DECL:
            return e.referenced.enum_value == 0
        return e.kind in (K.CXX_NULL_PTR_LITERAL_EXPR,)

    def statement_end(c):
        # The `;` that ends an expression statement: the first `;` token after the expression.
        e = c.extent.end.offset
        i = e
        while i < len(src) and src[i:i + 1] in b" \t\r\n":
            i += 1
        return i + 1 if src[i:i + 1] == b";" else None

    def binary_spelling(c):
        kk = list(c.get_children())
        t = operator_token(c, kk[0], kk[1]) if len(kk) == 2 else None
        return t.spelling if t is not None else None

    def literal_type(digits, suffix):
        # The type C++ gives an integer literal ([lex.icon]): it depends on the value and the base.
        try:
            v = int(digits, 8) if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit() else int(digits, 0)
        except ValueError:
            return None
        dec = not (len(digits) > 1 and digits[0] == "0")
        u = "u" in suffix.lower()
        nl = suffix.lower().count("l")
        kinds = [("int", 31), ("unsigned", 32), ("long", 63), ("unsigned long", 64)]
        if nl:
            kinds = kinds[2:]
        if u:
            kinds = [k for k in kinds if k[0].startswith("unsigned")]
        elif dec:
            kinds = [k for k in kinds if not k[0].startswith("unsigned")]
        for name, bits in kinds:
            if v < (1 << bits):
                return name
        return "too big"

    def literal_site(c, anc, s, e):
        # A constant's site is the operator it is an operand of, so the mutated text the compiler
        # sees in the schema is the classic one (`len - pos < 0` warns as always false; `x / 0` warns).
        # A constant a declaration may need as a constant expression (an array bound, a template
        # argument, a const initialiser, a case label) is built alone.
        i = len(anc) - 1
        while i >= 0 and anc[i].kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR):
            i -= 1
        p = anc[i] if i >= 0 else None
        if p is None:
            return "a constant outside any function"
        for a in anc:
            if a.kind in (K.CASE_STMT, K.ENUM_DECL, K.STATIC_ASSERT, K.TEMPLATE_REF, K.FIELD_DECL) or (
                    a.kind == K.VAR_DECL and (a.type.is_const_qualified() or a.semantic_parent is None or
                                              a.semantic_parent.kind in (K.NAMESPACE, K.TRANSLATION_UNIT, K.STRUCT_DECL,
                                                                          K.CLASS_DECL))):
                return "a constant a constant expression may need"
            if a.kind == K.VAR_DECL and a.type.kind in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.DEPENDENTSIZEDARRAY):
                return "a constant in an array declaration"
        if p.kind in (K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR):
            site = extent_site(p)
            if site is not None:
                return site
        return (s, e, "expr") if balanced(s, e) else None

    def removal_site(gs, ge, s, e):
        # The schema keeps the code it removes, so a name whose last read it removes (a parameter, a
        # local, a static function) would be unused only in the classic build: -Werror stops that one.
        if ge is None:
            return None
        inside = dict((r[1], r[3]) for r in refs if s <= r[0] < e)
        for key, d in inside.items():
            if key[0] == K.PARM_DECL:
                pass
            elif key[0] == K.VAR_DECL or key[0] in (K.FUNCTION_DECL, K.CXX_METHOD):
                if d.linkage not in (ci.LinkageKind.INTERNAL, ci.LinkageKind.NO_LINKAGE):
                    continue
            else:
                continue
            if not any(r[1] == key and not (s <= r[0] < e) and not r[2] for r in refs):
                return "it removes the last use of '%s' (an unused name is a -Werror stop)" % key[2]
        return (gs, ge, "stmt") if balanced(gs, ge) else None

    def visit(c, parent, func, anc):
        if c.location.file is not None and not in_file(c):
            return
        kids = list(c.get_children())
        k = c.kind
        if k == K.CALL_EXPR and c.referenced is not None and c.referenced.type.kind == ci.TypeKind.FUNCTIONPROTO \
                and c.referenced.type.is_function_variadic():
            fixed = len(list(c.referenced.get_arguments()))
            for a in list(c.get_arguments())[fixed:]:
                skip.append((a.extent.start.offset, a.extent.end.offset))
        if k == K.BINARY_OPERATOR:
            swap_op(c, kids, RELATIONAL)
            swap_op(c, kids, ARITH)
        elif k == K.COMPOUND_ASSIGNMENT_OPERATOR:
            swap_op(c, kids, COMPOUND)
        elif k == K.CALL_EXPR and c.spelling[len("operator"):] in RELATIONAL and c.spelling.startswith("operator"):
            # An overloaded comparison (std::string <, iterator ==; C++20 may rewrite it through <=>):
            # the callee child's extent is the operator token itself.
            name = c.spelling[len("operator"):]
            for ch in kids:
                s0, e0 = ch.extent.start.offset, ch.extent.end.offset
                if ch.spelling == c.spelling and src[s0:e0].decode("utf-8", "replace") == name:
                    for r in RELATIONAL[name]:
                        add(s0, e0, r, "%s -> %s" % (name, r), ch.extent.start.line, ch.extent.start.column, extent_site(c))
                    break
        elif k == K.UNARY_OPERATOR:
            toks = tokens(c)
            if toks:
                t0, tl = toks[0], toks[-1]
                if t0.spelling == "!" and t0.extent.start.offset == c.extent.start.offset:
                    s = t0.extent.start.offset
                    # `x` for `!x` keeps the type only for a bool x, or where the value is only tested.
                    tested = parent is not None and (parent.kind in (K.IF_STMT, K.WHILE_STMT, K.DO_STMT) or (
                        parent.kind == K.BINARY_OPERATOR and binary_spelling(parent) in ("&&", "||")))
                    same = kids and (kids[0].type.get_canonical().kind == ci.TypeKind.BOOL or tested)
                    add(s, s + 1, "", "! removed", t0.location.line, t0.location.column,
                        extent_site(c) if same else "its operand is not a bool: `x` and `!x` have different types")
                elif t0.spelling in ("++", "--") and t0.extent.start.offset == c.extent.start.offset:
                    s = t0.extent.start.offset
                    r = "--" if t0.spelling == "++" else "++"
                    add(s, s + 2, r, "%s -> %s" % (t0.spelling, r), t0.location.line, t0.location.column, extent_site(c))
                elif tl.spelling in ("++", "--") and tl.extent.end.offset == c.extent.end.offset:
                    s = tl.extent.start.offset
                    r = "--" if tl.spelling == "++" else "++"
                    add(s, s + 2, r, "%s -> %s" % (tl.spelling, r), tl.location.line, tl.location.column, extent_site(c))
                elif t0.spelling == "-" and t0.extent.start.offset == c.extent.start.offset:
                    s = t0.extent.start.offset
                    same = kids and canon(kids[0].type) == canon(c.type)
                    add(s, s + 1, "", "unary - removed", t0.location.line, t0.location.column,
                        extent_site(c) if same else "the operand is promoted: `x` and `-x` have different types")
        elif k == K.INTEGER_LITERAL:
            toks = tokens(c)
            if len(toks) == 1 and toks[0].kind == ci.TokenKind.LITERAL:
                text = toks[0].spelling
                digits = text.rstrip("uUlL")
                suffix = text[len(digits):]
                try:
                    v = int(digits, 0) if not (len(digits) > 1 and digits[0] == "0" and digits[1].isdigit()) else int(digits, 8)
                except ValueError:
                    v = None
                if v is not None and "'" not in digits:
                    s = toks[0].extent.start.offset
                    e = s + len(text)
                    site = literal_site(c, anc, s, e)
                    for nv in (v + 1, v - 1):
                        if nv < v and v <= 0:
                            continue
                        ok = literal_type(digits, suffix) == literal_type(str(nv), suffix)
                        add(s, e, str(nv) + suffix, "%s -> %d" % (text, nv), toks[0].location.line, toks[0].location.column,
                            site if ok else "the new literal has another type")
        elif k in (K.IF_STMT, K.WHILE_STMT, K.DO_STMT):
            cond = None
            if k == K.DO_STMT and len(kids) >= 2:
                cond = kids[1]
            elif k != K.DO_STMT and kids:
                cond = kids[0]
            if cond is not None and cond.kind != K.DECL_STMT and cond.kind != K.VAR_DECL:
                negate(cond, "condition (%s)" % {K.IF_STMT: "if", K.WHILE_STMT: "while", K.DO_STMT: "do"}[k])
        elif k == K.FOR_STMT:
            # for (init; cond; inc): the condition is the text between the two top-level `;`.
            toks = tokens(c)
            depth, semis, lp = 0, [], None
            for t in toks:
                if t.spelling == "(":
                    depth += 1
                    if lp is None:
                        lp = t
                elif t.spelling == ")":
                    depth -= 1
                    if depth == 0:
                        break
                elif t.spelling == ";" and depth == 1:
                    semis.append(t)
            if len(semis) == 2:
                s, e = semis[0].extent.end.offset, semis[1].extent.start.offset
                text = src[s:e].decode("utf-8", "replace").strip()
                if text:
                    s2 = s + src[s:e].decode("utf-8", "replace").index(text[0])
                    add(s2, s2 + len(text.encode()), "!(" + text + ")", "negate condition (for)",
                        site=(s2, s2 + len(text.encode()), "expr") if balanced(s2, s2 + len(text.encode())) else None)
        elif k == K.CONDITIONAL_OPERATOR and len(kids) == 3:
            negate(kids[0], "condition (?:)")
        elif k == K.RETURN_STMT and kids:
            f = func
            if f is not None and f.kind in (K.FUNCTION_DECL, K.CXX_METHOD):
                rt = f.result_type.get_canonical()
                e = kids[0]
                s, end = e.extent.start.offset, e.extent.end.offset
                if e.extent.start.file is not None and e.extent.start.file.name == path and end > s:
                    se = statement_end(c)
                    site = removal_site(c.extent.start.offset, se, s, end) if se is not None else None
                    if rt.kind == ci.TypeKind.BOOL:
                        for r in ("true", "false"):
                            add(s, end, r, "return -> %s" % r, site=site)
                    elif rt.kind != ci.TypeKind.VOID and not is_zero(e):
                        add(s, end, "{}", "return -> {}", site=site)
        # A statement removed: an expression statement directly in a block, or the body of an
        # if/else/loop/case, that is a call, an assignment or an increment.
        if parent is not None and parent.kind in (K.COMPOUND_STMT, K.IF_STMT, K.FOR_STMT, K.WHILE_STMT, K.CASE_STMT,
                                                  K.DEFAULT_STMT, K.CXX_FOR_RANGE_STMT) and k in REMOVABLE:
            is_cond = parent.kind in (K.IF_STMT, K.WHILE_STMT) and list(parent.get_children())[0] == c
            assign = k not in (K.BINARY_OPERATOR,) or any(t.spelling == "=" for t in tokens(c)[:0] or [])
            if k == K.BINARY_OPERATOR:
                kk = list(c.get_children())
                t = operator_token(c, kk[0], kk[1]) if len(kk) == 2 else None
                assign = t is not None and t.spelling == "="
            if k == K.UNARY_OPERATOR:
                toks = tokens(c)
                assign = bool(toks) and (toks[0].spelling in ("++", "--") or toks[-1].spelling in ("++", "--"))
            if not is_cond and assign and parent.kind != K.FOR_STMT:
                end = statement_end(c)
                if end is not None and c.extent.start.file is not None and c.extent.start.file.name == path:
                    s = c.extent.start.offset
                    add(s, end, "{}", "statement removed", site=removal_site(s, end, s, end))
        if k in (K.FUNCTION_DECL, K.CXX_METHOD, K.LAMBDA_EXPR, K.CONSTRUCTOR, K.DESTRUCTOR):
            func = c
        anc.append(c)
        for ch in kids:
            visit(ch, c, func, anc)
        anc.pop()

    # Every reference to a name of this file, for removal_site: (offset, declaration key, a plain write?)
    refs = []

    def collect(c, parent):
        if c.location.file is not None and not in_file(c):
            return
        kids = list(c.get_children())
        if c.kind in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR, K.OVERLOADED_DECL_REF) and c.referenced is not None:
            d = c.referenced
            if d.location.file is not None and d.location.file.name == path:
                write = parent is not None and parent.kind == K.BINARY_OPERATOR and binary_spelling(parent) == "=" and \
                    list(parent.get_children())[0] == c
                refs.append((c.extent.start.offset, (d.kind, d.location.offset, d.spelling), write, d))
        for ch in kids:
            collect(ch, c)

    for c in tu.cursor.get_children():
        if in_file(c):
            collect(c, None)
    for c in tu.cursor.get_children():
        if in_file(c):
            visit(c, None, None, [])
    out.sort(key=lambda m: (m["start"], m["end"], m["repl"]))
    json.dump(out, sys.stdout, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
