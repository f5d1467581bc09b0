"""Load mapping-spec YAML into typed objects, rejecting mistakes with file, line and a hint.

``load_domain_spec(path)`` checks everything the spec alone can tell:
algorithm names, option names, target variables (SDTMIG 3.4 for the domain,
or declared sponsor-defined), codelists (bundled CT), derivation names and
arguments, conditions.  ``check_spec_sources(spec, columns)`` then checks the
raw columns every algorithm reads against the raw sources actually present.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from converters.algorithms.registry import ORIGIN_TYPES, Algorithm, algorithm, keywords
from converters.errors import Location, SpecError
from converters.spec.model import BlockSpec, Case, Condition, DomainSpec, MergeSpec, SpecPlace, VariableSpec
from converters.spec.study import SOURCE_KEYS
from converters.spec.schema import VariableOptions
from converters.spec.shape import KINDS, deepest_problem, jsonable, value_at
from converters.spec.yaml_lines import LineDict, LineList, load_yaml_file
from converters.standards import ct, sdtmig
from converters.standards.model_variables import allowed_variables

#: Options every algorithm takes (the fields of the common variable model); each keyword's own options come from its
#: registration (``converters.algorithms``, ``keyword=True``).
COMMON_OPTIONS = {info.alias or name for name, info in VariableOptions.model_fields.items()}
CONDITION_OPS = {"equals", "not_equals", "in", "not_in", "is_null", "not_null", "contains", "lt", "le", "gt", "ge"}
#: Tests that take one value or a column ({column: NAME}) to compare with.
COMPARE_OPS = {"equals", "not_equals", "lt", "le", "gt", "ge"}
DOMAIN_KEYS = {"domain", "description", "source", "filter", "merge", "variables", "records", "supp", "supp_idvar",
               "keys"}
BLOCK_KEYS = {"source", "filter", "merge", "variables", "supp", "description"}
ORIGINS = set(ORIGIN_TYPES)
#: What each common option holds (a keyword's own argument and options: its registration's ``kinds``), checked with
#: the spec line before anything else
#: (a wrong kind was otherwise cut to its first item, turned into text such as "{'a': 1}", or read as false).
#: Options whose values are a closed list (origin, type, on_error, qeval), value_map, condition, seq and args
#: are checked against those values below.
OPTION_KINDS: dict[str, str] = {
    "crf_page": "pages", "label": "text", "description": "text", "codelist": "text", "sponsor_defined": "boolean",
    "transliterate": "boolean",
}
#: What the keys of conditions, condition cases, merges and the top level of a spec hold.
KEY_KINDS: dict[str, str] = {
    "column": "name", "else_assign": "name", "source": "name", "prefix": "text", "required": "boolean",
    "supp_idvar": "name", "domain": "name", "description": "text",
}


def _hint(word: str, choices) -> str | None:
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else None


class _Reader:
    """Helpers that raise SpecError pointing at the file and line of a YAML node."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, message: str, line: int | None, hint: str | None = None) -> SpecError:
        return SpecError(message, Location(self.file, line), hint)

    def place(self, line: int) -> SpecPlace:
        return SpecPlace(self.file, line)

    def mapping(self, node, what: str, line: int) -> LineDict:
        if not isinstance(node, LineDict):
            raise self.fail(f"{what} must be a mapping (key: value lines)", line)
        return node

    def names(self, node, what: str, line: int) -> tuple[str, ...]:
        """A name or a list of names."""
        if isinstance(node, str):
            return (node,)
        if isinstance(node, LineList) and all(isinstance(v, str) for v in node):
            return tuple(node)
        raise self.fail(f"{what} must be a name or a list of names", line)

    def kind(self, node: LineDict, key: str, what: str, kinds: dict[str, str]) -> None:
        """SpecError with the line when ``node[key]`` is not of the kind ``kinds`` gives for ``key``."""
        if key not in kinds or key not in node:
            return
        kind = kinds[key]
        if not _KIND_TESTS[kind](node[key]):
            raise self.fail(f"{what}{key} must be {KIND_PHRASES[kind]}, not {_plain(node[key])!r}", node.line_of(key),
                            f"for example '{key}: {KIND_EXAMPLES[kind]}'")

    def unknown_keys(self, node: LineDict, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                raise self.fail(f"unknown key {key!r} in {what}", node.line_of(key),
                                _hint(key, allowed) or f"allowed: {', '.join(sorted(allowed))}")


def load_domain_spec(path: str | Path, study=None) -> DomainSpec:
    """Read one domain spec file; SpecError (file, line, hint) on anything it cannot accept.

    ``study`` (a StudyDefinition), when given, resolves named value maps.
    """
    path = Path(path)
    doc = load_yaml_file(path)
    r = _Reader(str(path))
    doc = r.mapping(doc, "a domain spec", 1)
    r.unknown_keys(doc, DOMAIN_KEYS, "the domain spec")
    for key in doc:
        r.kind(doc, key, "", KEY_KINDS)
    if "domain" not in doc:
        raise r.fail("the spec does not say which domain it is for", doc.line, "add 'domain: AE' (for example)")
    domain = str(doc["domain"]).upper()
    base = domain[4:] if domain.startswith("SUPP") else domain
    if not sdtmig.has_dataset(domain):
        raise r.fail(f"SDTMIG 3.4 has no domain {domain!r}", doc.line_of("domain"),
                     _hint(domain, sdtmig.dataset_names()))
    if domain.startswith("SUPP"):
        raise r.fail(f"{domain} is built from the 'supp' section of the {base} spec, not a spec of its own",
                     doc.line_of("domain"), f"move these qualifiers under 'supp:' in the {base} spec")
    standard = {v.name: v for v in allowed_variables(domain)}

    shared: LineDict = doc.get("variables") or LineDict()
    if "records" in doc:
        if "source" in doc:
            raise r.fail("a spec has either 'source' (one record source) or 'records' (several), not both",
                         doc.line_of("source"))
        for key in ("filter", "merge"):
            if key in doc:
                raise r.fail(f"a top-level '{key}' does not apply when the spec has 'records'", doc.line_of(key),
                             f"put the {key} in each record block it is meant for")
        records = doc["records"]
        if not isinstance(records, LineList) or not records:
            raise r.fail("'records' must be a list of record blocks, each with its own source",
                         doc.line_of("records"))
        block_nodes = [(r.mapping(b, "a record block", records.line_of(i)), records.line_of(i))
                       for i, b in enumerate(records)]
    else:
        if "source" not in doc:
            raise r.fail("the spec names no raw source", doc.line, "add 'source: <raw file stem>' (e.g. ae)")
        block_nodes = [(doc, doc.line)]

    shared_supp = _supp_table(r, doc["supp"], doc.line_of("supp"), domain, standard, study) if "supp" in doc else {}
    supp: dict[str, VariableSpec] = dict(shared_supp)
    blocks = []
    for node, line in block_nodes:
        if node is not doc:
            r.unknown_keys(node, BLOCK_KEYS, "a record block")
            for key in node:
                r.kind(node, key, "a record block's ", KEY_KINDS)
        if "source" not in node:
            raise r.fail("the record block names no raw source", line, "add 'source: <raw file stem>'")
        variables: dict[str, VariableSpec] = {}
        own = node.get("variables") if node is not doc else None
        for table in ([shared] if node is doc else [shared, own or LineDict()]):
            table = r.mapping(table, "'variables'", getattr(table, "line", line))
            for name, vnode in table.items():
                variables[str(name).upper()] = _variable(r, str(name).upper(), vnode, table.line_of(name),
                                                         domain, standard, study, supp=False)
        block_supp = dict(shared_supp)
        if node is not doc and "supp" in node:
            own_supp = _supp_table(r, node["supp"], node.line_of("supp"), domain, standard, study)
            block_supp.update(own_supp)
            for qnam, var in own_supp.items():
                supp.setdefault(qnam, var)
        blocks.append(BlockSpec(
            source=str(node["source"]).lower(), place=r.place(node.line_of("source")),
            filter=_condition(r, node["filter"], node.line_of("filter")) if "filter" in node else None,
            merges=_merges(r, node.get("merge"), node.line_of("merge")),
            variables=variables, supp=block_supp))

    keys = r.names(doc["keys"], "'keys'", doc.line_of("keys")) if "keys" in doc else ()
    spec = DomainSpec(domain=domain, place=r.place(doc.line_of("domain")), blocks=blocks, supp=supp,
                      supp_idvar=str(doc["supp_idvar"]).upper() if "supp_idvar" in doc else None,
                      keys=tuple(k.upper() for k in keys), description=str(doc.get("description", "")))
    _check_references(r, spec, standard)
    if spec.supp_idvar:
        filled = spec.variable_names()
        if domain == "DM":
            raise r.fail("supp_idvar does not apply to DM: SUPPDM qualifiers belong to the subject (no IDVAR)",
                         doc.line_of("supp_idvar"), "remove supp_idvar")
        if spec.supp_idvar not in filled:
            raise r.fail(f"supp_idvar {spec.supp_idvar} is not filled by this spec", doc.line_of("supp_idvar"),
                         _hint(spec.supp_idvar, filled) or f"the default is {domain}SEQ")
    return spec


def _supp_table(r: _Reader, node, line: int, domain: str, standard: dict, study) -> dict[str, VariableSpec]:
    table = r.mapping(node, "'supp'", line)
    out: dict[str, VariableSpec] = {}
    for name, vnode in table.items():
        qnam = str(name).upper()
        qline = table.line_of(name)
        if len(qnam) > 8 or not qnam.replace("_", "").isalnum() or qnam[0].isdigit():
            raise r.fail(f"QNAM {qnam!r} must be at most 8 letters, digits or underscores, not starting "
                         "with a digit", qline)
        if qnam in standard:
            raise r.fail(f"{qnam} is a standard {domain} variable; map it under 'variables', not 'supp'", qline)
        out[qnam] = _variable(r, qnam, vnode, qline, domain, standard, study, supp=True)
    return out


def _variable(r: _Reader, name: str, node: Any, line: int, domain: str, standard: dict, study,
              supp: bool) -> VariableSpec:
    if not isinstance(node, LineDict):
        raise r.fail(f"{name}: give an algorithm, e.g. '{name}: {{assign: RAWCOL}}' or '{{hardcode: value}}'",
                     line)
    known = keywords()
    own = {word: _own_options(entry) for word, entry in known.items()}
    any_own = set().union(*own.values())
    algos = [k for k in node if k in known]
    if not algos:
        unknown = [k for k in node if k not in COMMON_OPTIONS and k not in any_own]
        word = unknown[0] if unknown else next(iter(node), "")
        raise r.fail(f"{name}: unknown algorithm {word!r}", node.line_of(word) if word else line,
                     _hint(word, known) or f"algorithms: {', '.join(known)}")
    if len(algos) > 1:
        raise r.fail(f"{name}: one algorithm per variable, found {', '.join(algos)}", node.line_of(algos[1]))
    algo = algos[0]
    entry = known[algo]
    allowed = {algo} | COMMON_OPTIONS | own[algo]
    for key in node:
        if key not in allowed:
            hint = _hint(key, known) if key not in any_own else None
            raise r.fail(f"{name}: option {key!r} does not apply to {algo}", node.line_of(key),
                         hint or f"{algo} takes: {', '.join(sorted(allowed - {algo}))}")
    check_model(r, f"{name}: ", entry.options, node, {**OPTION_KINDS, **entry.kinds}, line)
    at = node.line_of(algo)
    spec = VariableSpec(name=name, algorithm=algo, place=r.place(at))

    # ---- where the target variable is defined
    sponsor = node.get("sponsor_defined") is True
    if supp:
        if "label" not in node:
            raise r.fail(f"supplemental qualifier {name} needs a 'label' (QLABEL, at most 40 characters)", line)
    elif name not in standard:
        if not sponsor:
            close = difflib.get_close_matches(name, sorted(standard), n=1, cutoff=0.8)
            hint = f"did you mean {close[0]}?" if close else (
                "put non-standard values under 'supp:' (SUPP--), or declare a sponsor-defined variable with "
                "'sponsor_defined: true', 'label' and 'type'")
            raise r.fail(f"{name} is not a variable of {domain} in SDTMIG 3.4 nor one the SDTM model allows in its "
                         "class", line, hint)
        if "label" not in node or "type" not in node:
            raise r.fail(f"sponsor-defined {name} needs a 'label' and a 'type' (Char or Num)", line)
    _check_ignored_options(r, name, node, algo, supp, sponsor, name in standard)
    if "label" in node:
        label = str(node["label"])
        if len(label) > 40 or not label.isascii():
            raise r.fail(f"{name}: label must be ASCII and at most 40 characters ({len(label)} given)",
                         node.line_of("label"))
        spec.label = label
    if "type" in node:
        if node["type"] not in ("Char", "Num"):
            raise r.fail(f"{name}: type must be Char or Num", node.line_of("type"))
        spec.data_type = node["type"]
    spec.sponsor_defined = sponsor
    if "origin" in node:
        if node["origin"] not in ORIGINS:
            raise r.fail(f"{name}: unknown origin {node['origin']!r}", node.line_of("origin"),
                         _hint(node["origin"], ORIGINS) or f"origins: {', '.join(sorted(ORIGINS))}")
        spec.origin = node["origin"]
    if "crf_page" in node:  # Define-XML PageRefs: page numbers or named destinations, separated by spaces
        pages = node["crf_page"] if isinstance(node["crf_page"], list) else [node["crf_page"]]
        spec.crf_page = " ".join(str(p).strip() for p in pages)
        if spec.origin_type != "Collected":
            raise r.fail(f"{name}: crf_page is for collected values, but this variable's origin is "
                         f"{spec.origin_type}", node.line_of("crf_page"),
                         "remove crf_page, or say 'origin: Collected' when the value is taken from the CRF as is")
    if "qeval" in node:
        spec.qeval = str(node["qeval"])
        if spec.qeval not in ct.codelist("EVAL").submission_values:
            raise r.fail(f"{name}: qeval {spec.qeval!r} is not a term of codelist EVAL", node.line_of("qeval"),
                         _hint(spec.qeval, ct.codelist("EVAL").submission_values))
    if "description" in node:
        spec.description = str(node["description"])
    spec.transliterate = bool(node.get("transliterate", False))
    if "on_error" in node:
        if node["on_error"] not in (None, "null", "drop"):  # YAML reads a bare null as None
            raise r.fail(f"{name}: on_error must be 'null' or 'drop'", node.line_of("on_error"))
        spec.on_error = node["on_error"] or "null"
    if "codelist" in node:
        codelist_name = str(node["codelist"])
        if not ct.has_codelist(codelist_name):
            suggestion = _hint(codelist_name.upper(), [c.name for c in ct.codelists("sdtm")])
            raise r.fail(f"{name}: CDISC CT {ct.version} has no codelist {codelist_name!r}", node.line_of("codelist"),
                         suggestion or "'cdisc-convert standards codelists --search TEXT' lists codelists")
        spec.codelist = ct.codelist(codelist_name).name

    # ---- the algorithm's own argument and options: its registration reads them (with the checks that need the
    # standards, the study and the spec line)
    if entry.read is not None:
        entry.read(r, spec, node, study, None if supp else standard.get(name))
    return spec


def _own_options(entry: Algorithm) -> set[str]:
    """The options a keyword takes besides its own name and the options every algorithm takes."""
    return {info.alias or field for field, info in entry.options.model_fields.items()} - COMMON_OPTIONS - {entry.name}


def _check_ignored_options(r: _Reader, name: str, node: LineDict, algo: str, supp: bool, sponsor: bool,
                           standard: bool) -> None:
    """Options the build would silently ignore for this variable are errors."""
    def refuse(key: str, why: str, hint: str) -> None:
        raise r.fail(f"{name}: '{key}' {why}", node.line_of(key), hint)

    if "qeval" in node and not supp:
        refuse("qeval", "applies to supplemental qualifiers only (QEVAL in SUPP--)",
               f"move {name} under 'supp:' or remove qeval")
    if "sponsor_defined" in node and (supp or standard):
        refuse("sponsor_defined", "is for non-standard variables under 'variables'" if supp else
               "does not apply to a standard variable", "remove it")
    if not supp and standard and not sponsor:
        for key in ("label", "type"):
            if key in node:
                refuse(key, f"does not apply: {name} is a standard variable, its {key} comes from SDTMIG 3.4",
                       f"remove '{key}'")


#: The study.yaml date sources a derivation's ``source`` argument may name.
DATE_SOURCES = SOURCE_KEYS


def _check_date_source(r: _Reader, what: str, spec: VariableSpec, study) -> None:
    """The date source a derivation reads (its ``source``, or the default) must be defined in study.yaml."""
    source = _argument(spec, "source")
    defined = sorted(getattr(study, "sources", {}) or {})
    if source is not None and source not in defined:
        given = "argument source names" if "source" in spec.args else "reads (by default)"
        raise r.fail(f"{what} {given} the date source {source!r}, which study.yaml does not define (its values "
                     "would all be blank)", spec.arg_lines.get("source", spec.place.line),
                     f"date sources defined in study.yaml: {', '.join(defined) or 'none'}; add "
                     f"'{source}: {{form: ..., column: ...}}' to study.yaml or name a defined one")


def _is_scalar(value) -> bool:
    return not isinstance(value, (dict, list))






#: How an error message names what a key holds (the kinds of ``OPTION_KINDS``, ``KEY_KINDS``, ``ARGUMENT_KINDS``
#: and the keywords' ``kinds``; the pydantic models check them).
KIND_PHRASES = {
    "number": "a number", "whole number": "a whole number", "names": "a name or a list of names",
    "values": "a value or a list of values", "name": "a name",
    "date source": f"one of the study.yaml date sources {', '.join(DATE_SOURCES)}", "value": "a single value",
    "conditions": "a mapping of variable to value (or list of values)",
    "choices": "a value map name or a mapping of raw column to value",
    "pages": "a page number or text, or a list of them", "text": "text", "boolean": "true or false",
    "scalar": "a single value",
    "value map": "the name of a study.yaml value map or a mapping of each collected value to one submission value "
                 "(or to {no_value: REASON})",
}
#: The tests the kinds of condition, merge and top-level keys still take (checked by ``_Reader.kind``).
_KIND_TESTS = {
    "name": (lambda v: isinstance(v, str)),
    "text": (lambda v: _is_scalar(v) and v is not None and not isinstance(v, bool)),
    "boolean": (lambda v: isinstance(v, bool)),
    "scalar": _is_scalar,
}
#: An example of each kind, for the hint.
KIND_EXAMPLES = {
    "name": "RAWCOL", "names": "[DATECOL, TIMECOL]", "value": "Y", "pages": "[12, 13]", "text": "some text",
    "boolean": "true", "scalar": "Y", "values": "[A, B]", "number": "10", "whole number": "2",
    "conditions": "{EXCAT: INFUSION}", "choices": "{RACE_ASIAN: ASIAN, RACE_WHITE: WHITE}",
    "value map": "{1: Y, 2: N}", "date source": "reference_start",
}




def check_model(r: _Reader, what: str, model: type[BaseModel], node: LineDict, kinds: dict[str, str],
                line: int) -> None:
    """``node`` (a variable entry, a derivation's ``args``) against its pydantic model (the registry's, the one the
    editor schema shows): the first problem is a SpecError with the line of its key, in the words of the kind the key
    holds (``kinds``: ``AETERM: assign must be a name, not [...]``), with an example or the close allowed value."""
    try:
        model.model_validate(jsonable(node))
    except ValidationError as exc:
        raise _model_error(r, what, model, node, kinds, line, exc) from None


def _model_error(r: _Reader, what: str, model: type[BaseModel], node: LineDict, kinds: dict[str, str], line: int,
                 exc: ValidationError) -> SpecError:
    (path, at), problem = deepest_problem(node, exc)
    named = [i for i, step in enumerate(path) if not isinstance(step, int)]
    # the key the problem is about: the outermost one whose kind is known (value_map, not value_map.Yes), else the
    # innermost; its whole value as written is shown
    at_key = next((i for i in named if str(path[i]) in kinds), named[-1] if named else -1)
    key = str(path[at_key]) if at_key >= 0 else ""
    where = ".".join(str(step) for step in path[:at_key + 1] if not isinstance(step, int))
    value = _plain(value_at(node, path[:at_key + 1]))
    kind = kinds.get(key)
    if problem["type"] == "literal_error":
        expected = [str(v) for v in getattr(problem.get("ctx", {}).get("expected"), "split", lambda _s: [])(" or ")]
        expected = [v.strip("'") for v in expected]
        phrase = KIND_PHRASES[kind] if kind else f"one of {', '.join(expected)}"
        return r.fail(f"{what}{where} must be {phrase}, not {value!r}", at or line,
                      _hint(str(value), expected) or f"allowed: {', '.join(expected)}")
    if kind is not None and (problem["type"] in KINDS or problem["type"] == "too_short"):
        return r.fail(f"{what}{where} must be {KIND_PHRASES[kind]}, not {value!r}", at or line,
                      f"for example '{key}: {KIND_EXAMPLES[kind]}'" if kind in KIND_EXAMPLES else None)
    allowed = ", ".join(model.model_json_schema(by_alias=True).get("properties", {}))
    return r.fail(f"{what}{where}: {problem['msg'][:1].lower()}{problem['msg'][1:]}", at or line,
                  f"{'arguments' if 'argument' in what else 'options'}: {allowed}")




def _plain(node):
    if isinstance(node, LineDict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, LineList):
        return [_plain(v) for v in node]
    return node


def _case(r: _Reader, name: str, node, line: int) -> Case:
    node = r.mapping(node, f"{name}: a condition case", line)
    for key, kind in (("assign", "name"), ("else_assign", "name"), ("value", "scalar"), ("else", "scalar")):
        r.kind(node, key, f"{name}: a condition case's ", {key: kind})
    if "else" in node or "else_assign" in node:
        r.unknown_keys(node, {"else", "else_assign"}, f"{name}: the else case")
        if "else_assign" in node:
            return Case(None, column=str(node["else_assign"]), place=r.place(line))
        return Case(None, value=node["else"], place=r.place(line))
    r.unknown_keys(node, {"when", "value", "assign"}, f"{name}: a condition case")
    if "when" not in node or ("value" not in node) == ("assign" not in node):
        raise r.fail(f"{name}: each case needs 'when' and either 'value' or 'assign'", line)
    when = _condition(r, node["when"], node.line_of("when"))
    if "assign" in node:
        return Case(when, column=str(node["assign"]), place=r.place(line))
    return Case(when, value=node["value"], place=r.place(line))


def _condition(r: _Reader, node, line: int) -> Condition:
    node = r.mapping(node, "a condition", line)
    for combo in ("all", "any"):
        if combo in node:
            r.unknown_keys(node, {combo}, "a condition")
            items = node[combo]
            if not isinstance(items, LineList) or not items:
                raise r.fail(f"'{combo}' takes a list of conditions", node.line_of(combo))
            return Condition(combo, children=tuple(_condition(r, c, items.line_of(i)) for i, c in enumerate(items)),
                             place=r.place(node.line_of(combo)))
    if "not" in node:
        r.unknown_keys(node, {"not"}, "a condition")
        return Condition("not", children=(_condition(r, node["not"], node.line_of("not")),),
                         place=r.place(node.line_of("not")))
    r.unknown_keys(node, CONDITION_OPS | {"column"}, "a condition")
    r.kind(node, "column", "a condition's ", KEY_KINDS)
    ops = [k for k in node if k in CONDITION_OPS]
    if "column" not in node or len(ops) != 1:
        raise r.fail("a condition is 'column: NAME' with one test (equals, not_equals, in, not_in, is_null, "
                     "not_null, contains, lt, le, gt, ge), or all/any/not of conditions", line)
    op = ops[0]
    raw = node[op]
    values: tuple = ()
    if op in COMPARE_OPS and isinstance(raw, LineDict):
        if set(raw) != {"column"} or not isinstance(raw["column"], str):
            raise r.fail(f"'{op}' compares with a value or with another column: {{column: NAME}}", node.line_of(op),
                         f"for example '{op}: {{column: DM.RFSTDTC}}'")
        return Condition(op, column=str(node["column"]), other=str(raw["column"]), place=r.place(node.line_of(op)))
    if op in ("lt", "le", "gt", "ge") and (isinstance(raw, LineList) or raw is None):
        raise r.fail(f"'{op}' compares with one value (a number or an ISO 8601 date) or {{column: NAME}}",
                     node.line_of(op))
    if op in ("is_null", "not_null"):
        if raw is not True:
            raise r.fail(f"'{op}' takes 'true'", node.line_of(op))
    elif isinstance(raw, LineList):
        if not all(_is_scalar(v) for v in raw):
            raise r.fail(f"'{op}' takes a value or a list of values, not a list of lists or mappings",
                         node.line_of(op), f"for example '{op}: [A, B]'")
        values = tuple(str(v) for v in raw)
    elif isinstance(raw, LineDict):
        raise r.fail(f"'{op}' takes a value or a list of values", node.line_of(op))
    else:
        values = (str(raw),)
    return Condition(op, column=str(node["column"]), values=values, place=r.place(node.line_of(op)))


def _merges(r: _Reader, node, line: int) -> list[MergeSpec]:
    if node is None:
        return []
    items = node if isinstance(node, LineList) else LineList([node])
    if not isinstance(node, LineList):
        items.lines = [line]
    out = []
    for i, item in enumerate(items):
        item = r.mapping(item, "a merge", items.line_of(i))
        r.unknown_keys(item, {"source", "by", "columns", "prefix", "on_duplicate", "required"}, "a merge")
        for key in item:
            r.kind(item, key, "a merge's ", KEY_KINDS)
        for key in ("source", "by", "columns"):
            if key not in item:
                raise r.fail(f"a merge needs '{key}'", item.line)
        by = item["by"]
        if isinstance(by, LineDict):
            if not all(isinstance(v, str) for v in by.values()):
                raise r.fail("a merge's 'by' mapping pairs each source column with one column of the merged form",
                             item.line_of("by"), "for example 'by: {SUBJID: PATID}'")
            left, right = tuple(str(k) for k in by), tuple(str(v) for v in by.values())
        else:
            left = right = r.names(by, "by", item.line_of("by"))
        dup = item.get("on_duplicate", "error")
        if dup not in ("error", "first"):
            raise r.fail("on_duplicate must be 'error' or 'first'", item.line_of("on_duplicate"))
        out.append(MergeSpec(source=str(item["source"]).lower(), left_on=left, right_on=right,
                             columns=r.names(item["columns"], "columns", item.line_of("columns")),
                             prefix=str(item.get("prefix", "")), on_duplicate=dup,
                             required=item.get("required") is True, place=r.place(item.line)))
    return out


def _check_references(r: _Reader, spec: DomainSpec, standard: dict) -> None:
    """Built-variable references (study_day, epoch, seq order, visit date, keys) must name filled variables."""
    filled = set(spec.variable_names())
    for block in spec.blocks:
        for var in list(block.variables.values()) + list(block.supp.values()):
            for ref in var.target_refs:
                if ref not in filled:
                    raise r.fail(f"{var.name}: {var.algorithm} refers to {ref}, which this spec does not fill",
                                 var.place.line, _hint(ref, filled))
    for key in spec.keys:
        if key not in filled:
            raise r.fail(f"key variable {key} is not filled by this spec", spec.place.line, _hint(key, filled))


def check_spec_sources(spec: DomainSpec, columns: dict[str, set[str]]) -> None:
    """Every raw source and raw column the spec reads must exist; SpecError names the spec line."""
    r = _Reader(spec.file)
    for block in spec.blocks:
        if block.source not in columns:
            raise r.fail(f"raw source {block.source!r} not found", block.place.line,
                         _hint(block.source, columns) or f"raw sources: {', '.join(sorted(columns))}")
        available = set(columns[block.source])
        for merge in block.merges:
            merge_line = merge.place.line if merge.place else block.place.line
            if merge.source not in columns:
                raise r.fail(f"merged raw source {merge.source!r} not found", merge_line,
                             _hint(merge.source, columns))
            for col in merge.left_on:
                if col not in available:
                    raise r.fail(f"merge key {col!r} is not a column of {block.source}", merge_line,
                                 _hint(col, available))
            for col in merge.right_on + merge.columns:
                if col not in columns[merge.source]:
                    raise r.fail(f"column {col!r} is not in raw source {merge.source}", merge_line,
                                 _hint(col, columns[merge.source]))
            available |= {merge.prefix + c for c in merge.columns}
        built: set[str] = set()
        if block.filter is not None:
            for col in block.filter.columns():
                if col not in available:
                    raise r.fail(f"filter column {col!r} is not in raw source {block.source}",
                                 block.filter.place.line if block.filter.place else block.place.line,
                                 _hint(col, available))
        for var in list(block.variables.values()) + list(block.supp.values()):
            refs = list(var.columns)
            for case in var.cases:
                refs += case.when.columns() if case.when else []
                refs += [case.column] if case.column else []
            if var.domain_refs():  # filled after the domains are built, from built variables (checked elsewhere)
                built.add(var.name)
                continue
            for col in refs:
                if col not in available and col not in built:
                    raise r.fail(f"{var.name}: column {col!r} is not in raw source {block.source}",
                                 var.place.line, _hint(col, available | built) or
                                 f"columns of {block.source}: {', '.join(sorted(available))}")
            built.add(var.name)


def _argument(var: VariableSpec, key: str):
    """The value of a derivation argument, or the default the derivation function declares for it."""
    if key in var.args:
        return var.args[key]
    if var.derivation is None:
        raise ValueError(f"{var.name} is filled by {var.algorithm}, not by a derivation with arguments")
    return algorithm(var.derivation, "SDTM").default(key)


def _domains_read(var: VariableSpec) -> tuple[str, list[str]] | None:
    """The argument naming the built domain(s) a later-phase derivation reads (its registration's ``reads``), and
    those domains; None when it reads none."""
    if var.algorithm != "derive" or var.derivation is None:
        return None
    entry = algorithm(var.derivation, "SDTM")
    if entry.phase == "record":
        return None
    for key, kind in entry.reads.items():
        if kind == "domain":
            return key, [str(_argument(var, key))]
    for key, kind in entry.reads.items():
        if kind == "domains" and key in var.args:
            return key, [str(name) for name in _names_of(var.args[key])]
    return None


def check_domain_references(specs: list[DomainSpec]) -> None:
    """Domains and variables named by domain-phase derivations must be built by the study's specs.

    ``first_date``, ``last_date``, ``lookup``, ``actual_arm`` and ``unplanned_arm`` read another domain's built records, and
    ``last_contact`` and ``participation_end`` a list of domains; a domain no spec builds, or a variable its
    spec does not fill, would leave every value blank.  Built-in datasets (trial design, SE, SV) are built
    after the derivations run, so they cannot be read either.
    """
    built = {spec.domain: set(spec.variable_names()) for spec in specs}
    for spec in specs:
        r = _Reader(spec.file)
        for block in spec.blocks:
            for var in list(block.variables.values()) + list(block.supp.values()):
                if var.algorithm == "condition" and var.domain_refs():
                    _check_condition_refs(r, spec, var, built)
                    continue
                if var.algorithm != "derive" or var.derivation is None or algorithm(var.derivation).phase == "record":
                    continue
                what = f"{var.name}: derivation {var.derivation}"
                found = _domains_read(var)
                if found is None:
                    continue
                key, names = found
                line = var.arg_lines.get(key, var.place.line)
                for name in names:
                    if name not in built:
                        raise r.fail(f"{what} reads domain {name!r}, which no spec of this study builds "
                                     "(its values would all be blank)", line, _domain_hint(str(name), built))
                reads = algorithm(var.derivation or var.algorithm).reads
                if reads.get(key) != "domain":
                    continue
                for arg, kind in reads.items():
                    if kind not in ("variables", "conditions"):
                        continue
                    wanted = _names_of(var.args.get(arg)) if kind == "variables" else tuple(var.args.get(arg) or ())
                    for variable in wanted:
                        if variable not in built[names[0]]:
                            raise r.fail(f"{what} reads {names[0]}.{variable}, which the {names[0]} spec does not "
                                         "fill (its values would all be blank)",
                                         var.arg_lines.get(arg, var.place.line),
                                         _hint(variable, built[names[0]]) or
                                         f"{names[0]} variables: {', '.join(sorted(built[names[0]]))}")


def _check_condition_refs(r: _Reader, spec: DomainSpec, var: VariableSpec, built: dict[str, set[str]]) -> None:
    """A condition that reads another built domain reads built variables only: ``DOMAIN.VARIABLE`` of a domain the
    study builds, and variables this spec fills (raw columns are gone once the domains are built)."""
    for case in var.cases:
        line = case.place.line if case.place else var.place.line
        for column in (case.when.columns() if case.when else []) + ([case.column] if case.column else []):
            domain, _, name = column.rpartition(".")
            if not domain:
                if column not in built[spec.domain]:
                    raise r.fail(f"{var.name}: the condition reads another domain, so it runs once the domains are "
                                 f"built and {column!r} must be a variable this spec fills", line,
                                 _hint(column, built[spec.domain]))
            elif domain not in built:
                raise r.fail(f"{var.name}: the condition reads {column}, but no spec of this study builds {domain}",
                             line, _domain_hint(domain, built))
            elif name not in built[domain]:
                raise r.fail(f"{var.name}: the condition reads {column}, which the {domain} spec does not fill", line,
                             _hint(name, built[domain]))


def domain_dependencies(specs: list[DomainSpec]) -> dict[str, list[tuple[str, SpecPlace]]]:
    """Domain -> the other domains its derivations and conditions read, each with the spec place that reads it."""
    deps: dict[str, list[tuple[str, SpecPlace]]] = {spec.domain: [] for spec in specs}
    for spec in specs:
        for block in spec.blocks:
            for var in list(block.variables.values()) + list(block.supp.values()):
                read: list[tuple[str, int]] = []
                found = _domains_read(var)
                if found is not None:
                    key, names = found
                    read += [(str(name), var.arg_lines.get(key, var.place.line)) for name in names]
                for case in var.cases:
                    for ref in case.when.domain_refs() if case.when else []:
                        line = case.place.line if case.place else var.place.line
                        read.append((ref.split(".")[0], line))
                for name, line in read:
                    if name != spec.domain and (name, line) not in [(n, p.line) for n, p in deps[spec.domain]]:
                        deps[spec.domain].append((name, SpecPlace(spec.file, line)))
    return deps


def build_order(specs: list[DomainSpec]) -> list[str]:
    """The order the domains' after-build derivations run in: a domain after every domain it reads (DM first when
    nothing says otherwise, then spec order); a cycle is a SpecError naming both spec lines."""
    deps = domain_dependencies(specs)
    preferred = sorted(deps, key=lambda name: (name != "DM", [s.domain for s in specs].index(name)))
    order: list[str] = []
    visiting: dict[str, SpecPlace | None] = {}

    def visit(name: str, via: SpecPlace | None) -> None:
        if name in order or name not in deps:
            return
        if name in visiting:
            back = next((p for n, p in deps[name] if n in visiting), None)
            raise SpecError(f"{name} and the domains it reads read each other, so neither can be built first: "
                            f"{via} reads {name}; {back} reads back", Location(via.file, via.line) if via else
                            Location(), hint="derive one of the two from raw data or from a third domain")
        visiting[name] = via
        for other, place in deps[name]:
            visit(other, place)
        del visiting[name]
        order.append(name)

    for name in preferred:
        visit(name, None)
    return order


def _names_of(value) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _domain_hint(name: str, built: dict) -> str:
    listed = f"domains built by the specs: {', '.join(sorted(built))}"
    if name.upper() in built:
        return f"domain names are upper case: {name.upper()}"
    if sdtmig.has_dataset(name.upper()):
        return (f"{name.upper()} has no spec in this study (trial-design datasets, SE and SV are built after the "
                f"derivations run); {listed}")
    close = _hint(name, built)
    return f"{close} ({listed})" if close else listed


def load_domain_specs(folder: str | Path, study=None) -> list[DomainSpec]:
    """Every ``*.yaml`` spec of a folder (sorted by file name); two specs for one domain is an error.

    Then the domains and variables that domain-phase derivations read must be built by these specs
    (``check_domain_references``).
    """
    specs: dict[str, DomainSpec] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        spec = load_domain_spec(path, study)
        if spec.domain in specs:
            raise SpecError(f"a second spec for {spec.domain} (the first is {specs[spec.domain].file})",
                            Location(spec.file, spec.place.line))
        specs[spec.domain] = spec
    check_domain_references(list(specs.values()))
    build_order(list(specs.values()))
    return list(specs.values())
