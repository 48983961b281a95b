"""Dependencies the spec implies but does not state.

Behat-layout sheets, the form most real projects export, have no `Ref. bundle` in fields, no `Bundles`
in views and no `Mod.` in bundles. What they do have still says a lot: a field's type and widget say
which entity type it references, its machine name, label and help text usually name the bundle, and a
view's name and displays name what it lists.

Each inference returns the bundle and what it was inferred from, so that the ticket can say so and the
author can confirm it. Precision comes before recall, because a wrong edge costs a reviewer's time: a
clue must point at exactly one bundle of an entity type the field or view can reference, and a clue
that fits several makes no edge unless the help text picks one of them. The planner only asks where
the spec states nothing for that field, view or workflow, so an inference never contradicts it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from integrations.spec import drupal
from integrations.spec import drupal_knowledge as dk
from integrations.spec.catalog import Bundle, Catalog, Entity, Field, Role, View, Workflow
from integrations.spec.problems import Level, Problem
from integrations.spec.sheets import SheetKind

# Field types whose values point at bundles, as the field UI labels them and as machine ids.
REFERENCE_FIELD_TYPES = {
    "entity reference", "entity_reference", "entity reference revisions", "entity_reference_revisions",
    "paragraph", "paragraphs",
}
_REVISIONS_TYPES = {"entity reference revisions", "entity_reference_revisions", "paragraph", "paragraphs"}

# Words that say how a field refers, not to what: "field_related_gear" refers to gear.
_STOP_WORDS = {
    "field", "ref", "reference", "related", "relation", "select", "selected", "featured", "primary",
    "secondary", "main", "other", "additional", "optional", "target", "entity", "the", "and", "of", "for",
    "to", "a", "an", "in", "on", "by", "with", "add", "up", "item", "list", "new", "my", "our", "your",
}
# Too common in bundle names to identify one on their own ("Event type" and "Person type").
_WEAK_WORDS = {"type", "page", "content", "detail", "landing", "basic", "general", "info", "information",
               "data", "block", "card", "text", "link", "category"}
# Display titles that only name the display plugin ("Page", "Block"), not what the view lists.
_PLUGIN_TITLES = {"page", "block", "feed", "master", "default", "attachment", "embed", "entity reference",
                  "data export", "rest export", "entity browser", "eva"}
_IRREGULAR = {"people": "person", "children": "child", "media": "media", "news": "news", "series": "series",
              "status": "status", "address": "address", "access": "access"}

# A view's base table (the wizard's "Show" label) → the entity type whose bundles it lists.
_BASE_TABLES = (
    ("content", "node"), ("index content", "node"), ("media", "media"), ("taxonomy", "taxonomy_term"),
    ("custom block", "block_content"), ("block content", "block_content"), ("paragraph", "paragraph"),
)


@dataclass(frozen=True)
class Inferred:
    target: Bundle
    basis: str  # what it was inferred from, e.g. "the field name `field_tags`"


def is_reference_field(field_type: str) -> bool:
    return field_type.strip().lower() in REFERENCE_FIELD_TYPES


def singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and re.search(r"(sses|xes|ches|shes)$", word):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> tuple[str, ...]:
    """Singular lowercase words of a label or machine name: 'Gear reviews' and 'gear_review' alike."""
    return tuple(singular(t) for t in drupal.machine_name_from_label(text).split("_") if t)


def _same_word(a: str, b: str) -> bool:
    """One word, or one the start of the other ('spec' and 'specification'), at least four letters."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short)


def target_entity_type(field_type: str, widget: str) -> str | None:
    """The entity type a reference field's type or widget implies; None when they do not say."""
    low_type, low_widget = field_type.strip().lower(), widget.strip().lower()
    if low_type in _REVISIONS_TYPES or "paragraph" in low_widget:
        return "paragraph"  # only paragraphs are referenced through revisions in a Drupal site model
    if "media library" in low_widget or "media_library" in low_widget:
        return "media"
    if "tags style" in low_widget or low_widget == "entity_reference_autocomplete_tags":
        return "taxonomy_term"
    return None


class BundleIndex:
    """The spec's bundles that a reference can target, by entity type and by name; built once per plan."""

    def __init__(self, bundles: Iterable[Bundle]) -> None:
        self.by_type: dict[str, list[Bundle]] = {}
        self.by_name: dict[tuple[str, ...], list[Bundle]] = {}
        self.names: dict[int, set[tuple[str, ...]]] = {}
        # The words of every name, and each of their starts of four letters or more, to the bundles
        # having them: `_same_word` by lookup instead of by comparing every word of every bundle.
        self._exact: dict[str, set[int]] = {}
        self._starts: dict[str, set[int]] = {}
        self._matches: dict[str, frozenset[int]] = {}
        self.descriptions: dict[int, tuple[str, ...]] = {}
        # The same for the words of descriptions, and each name by its first word (for free text):
        # every question is answered from the few bundles that can match, never by reading them all.
        self._described_exact: dict[str, set[int]] = {}
        self._described_starts: dict[str, set[int]] = {}
        self._phrases: dict[str, list[tuple[Bundle, tuple[str, ...]]]] = {}
        self._bundles: dict[int, Bundle] = {}
        self._answers: dict[tuple[str, object, frozenset[str]], list[Bundle]] = {}
        self._strong_exact: dict[str, set[int]] = {}
        self._strong_starts: dict[str, set[int]] = {}
        self._rank: dict[int, tuple[str, int]] = {}  # the order of_types gives: entity type, then spec order
        for bundle in bundles:
            if bundle.skipped or bundle.type is drupal.USER_ACCOUNT:
                continue
            self.by_type.setdefault(bundle.type.entity_type, []).append(bundle)
            self._bundles[id(bundle)] = bundle
            self._rank[id(bundle)] = (bundle.type.entity_type, len(self._rank))
            names = {k for k in (tokens(bundle.machine_name), tokens(bundle.label)) if k}
            self.names[id(bundle)] = names
            self.descriptions[id(bundle)] = tokens(bundle.row.get("description")) if bundle.row is not None else ()
            for word in self.descriptions[id(bundle)]:
                self._described_exact.setdefault(word, set()).add(id(bundle))
                for end in range(4, len(word) + 1):
                    self._described_starts.setdefault(word[:end], set()).add(id(bundle))
            for name in names:
                found = self.by_name.setdefault(name, [])
                if bundle not in found:
                    found.append(bundle)
                if not set(name) <= _WEAK_WORDS:
                    self._phrases.setdefault(name[0], []).append((bundle, name))
                for word in name:
                    self._exact.setdefault(word, set()).add(id(bundle))
                    for end in range(4, len(word) + 1):
                        self._starts.setdefault(word[:end], set()).add(id(bundle))
                    if word not in _WEAK_WORDS:  # the distinctive words alone, for `sharing`
                        self._strong_exact.setdefault(word, set()).add(id(bundle))
                        for end in range(4, len(word) + 1):
                            self._strong_starts.setdefault(word[:end], set()).add(id(bundle))

    def _matching(self, word: str) -> frozenset[int]:
        """Bundles having a name word that `_same_word` matches with `word`."""
        cached = self._matches.get(word)
        if cached is None:
            cached = self._matches[word] = _same_word_ids(word, self._exact, self._starts)
        return cached

    def _cached(self, lookup: Callable[[Any, set[str]], list[Bundle]], words: object,
                allowed: frozenset[str]) -> list[Bundle]:
        """One answer per question: specs repeat field names and help texts across many bundles (VA.gov's
        field_administration sits on 51), so each lookup is worked out once per plan."""
        key = (lookup.__name__, words, allowed)
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = lookup(words, set(allowed))
        return list(found)

    def _typed(self, ids: Iterable[int], allowed: set[str]) -> list[Bundle]:
        """The bundles of `ids` of an allowed entity type, in the order `of_types` gives."""
        chosen = sorted({i for i in ids if self._bundles[i].type.entity_type in allowed}, key=self._rank.__getitem__)
        return [self._bundles[i] for i in chosen]

    def of_types(self, allowed: set[str]) -> list[Bundle]:
        return [b for kind in sorted(allowed) for b in self.by_type.get(kind, ())]

    def named(self, words: Sequence[str], allowed: set[str]) -> list[Bundle]:
        """Bundles whose machine name or label is exactly `words`."""
        return [b for b in self.by_name.get(tuple(words), []) if b.type.entity_type in allowed]

    def containing(self, words: Sequence[str], allowed: set[str]) -> list[Bundle]:
        return self._cached(self._containing, tuple(words), frozenset(allowed))

    def _containing(self, words: Sequence[str], allowed: set[str]) -> list[Bundle]:
        """Bundles whose name holds every one of `words` (gear → Gear review)."""
        if not words:
            return []
        candidates = frozenset.intersection(*(self._matching(w) for w in words))
        return [b for b in self._typed(candidates, allowed)
                if any(all(any(_same_word(w, n) for n in name) for w in words) for name in self.names[id(b)])]

    def sharing(self, words: Sequence[str], allowed: set[str]) -> list[Bundle]:
        return self._cached(self._sharing, tuple(words), frozenset(allowed))

    def _sharing(self, words: Sequence[str], allowed: set[str]) -> list[Bundle]:
        """Bundles whose name shares a distinctive word with `words` (tested_regions → Trail region)."""
        strong = [w for w in words if w not in _WEAK_WORDS]
        ids = set().union(*(_same_word_ids(w, self._strong_exact, self._strong_starts) for w in strong))
        return self._typed(ids, allowed)

    def mentioned_in(self, text: str, allowed: set[str]) -> list[Bundle]:
        return self._cached(self._mentioned_in, text, frozenset(allowed))

    def _mentioned_in(self, text: str, allowed: set[str]) -> list[Bundle]:
        """Bundles whose whole label or machine name (or its plural) appears in free text.

        The longest name wins where names overlap: 'Event listing' names the Event listing bundle,
        not Event as well.
        """
        words = tokens(text)
        joined = f" {' '.join(words)} "
        spans: dict[int, list[tuple[int, int]]] = {}
        present = set(words)
        for first in present:
            for bundle, name in self._phrases.get(first, ()):
                if bundle.type.entity_type not in allowed or not set(name) <= present:
                    continue
                phrase = f" {' '.join(name)} "
                start = joined.find(phrase)
                while start >= 0:
                    spans.setdefault(id(bundle), []).append((start, start + len(phrase)))
                    start = joined.find(phrase, start + 1)
        found = self._typed(spans, allowed)
        every = [(a, z, id(b)) for b in found for a, z in spans[id(b)]]
        return [b for b in found if any(not any(a2 <= a and z <= z2 and (a2, z2) != (a, z) and other != id(b)
                                                for a2, z2, other in every)
                                        for a, z in spans[id(b)])]

    def described_by(self, words: Sequence[str], allowed: set[str]) -> list[Bundle]:
        return self._cached(self._described_by, tuple(words), frozenset(allowed))

    def _described_by(self, words: Sequence[str], allowed: set[str]) -> list[Bundle]:
        """Bundles whose own description uses one of `words` ("Document: PDF files: agendas, minutes")."""
        strong = [w for w in words if w not in _WEAK_WORDS]
        ids = set().union(*(_same_word_ids(w, self._described_exact, self._described_starts) for w in strong))
        return self._typed(ids, allowed)


def _same_word_ids(word: str, exact: dict[str, set[int]], starts: dict[str, set[int]]) -> frozenset[int]:
    """The ids indexed under a word that `_same_word` matches with `word`: the same word, a word starting
    with it, or a word it starts with (each at least four letters)."""
    ids = set(exact.get(word, ()))
    if len(word) >= 4:
        ids |= starts.get(word, set())  # a word starting with `word`
        for end in range(4, len(word)):
            ids |= exact.get(word[:end], set())  # a word `word` starts with
    return frozenset(ids)


def _distinct(found: Iterable[Bundle], exclude: Bundle) -> list[Bundle]:
    return [b for b in dict.fromkeys(found) if b is not exclude]


def _content(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(w for w in words if w not in _STOP_WORDS and len(w) > 2)


def infer_field_target(fld: Field, index: BundleIndex) -> Inferred | None:
    """The bundle a reference field with no stated target most likely points at, and why; None if unclear.

    The clues, strongest first; the first that fits any bundle decides, and it must fit exactly one
    (or the help text must pick one of those it fits):
    the machine name (whole, without the owner's name, without words like "related"), the label, a
    bundle name holding all of the name's words, a bundle name sharing a distinctive word, the help
    text; last, when the widget says the entity type, the one bundle of it whose description uses the
    field's words, or the spec's only bundle of it.
    """
    row = fld.row
    implied = target_entity_type(row.get("field_type"), row.get("form_widget"))
    # A plain entity reference cannot hold paragraphs (they need revisions); anything else may be meant.
    allowed = {implied} if implied else set(index.by_type) - {"paragraph"}
    owner = tokens(fld.bundle.machine_name)
    name = tokens(re.sub(r"^field_", "", fld.machine_name))
    own_name = name[len(owner):] if owner and name[:len(owner)] == owner and len(name) > len(owner) else name
    core = _content(own_name)
    label = _content(tokens(row.get("field_label")))
    help_text = row.get("help_text")
    by_name = f"the field name `{fld.machine_name}`"
    by_label = f"the field label '{row.get('field_label')}'"
    clues: list[tuple[list[Bundle], str]] = [
        (index.named(name, allowed), by_name),
        (index.named(own_name, allowed), by_name),
        (index.named(core, allowed) if core else [], by_name),
        (index.named(label, allowed) if label else [], by_label),
        (index.containing(core, allowed) if core else [], by_name),
        (index.containing(label, allowed) if label else [], by_label),
        (index.sharing((*core, *label), allowed), f"{by_name} and its label"),
    ]
    for found, basis in clues:
        candidates = _distinct(found, fld.bundle)
        if len(candidates) == 1:
            return Inferred(candidates[0], basis)
        if candidates:
            picked = _distinct(index.mentioned_in(help_text, allowed), fld.bundle) if help_text else []
            narrowed = [b for b in candidates if b in picked]
            if len(narrowed) == 1:
                return Inferred(narrowed[0], f"{basis} and its help text")
            return None  # the clue fits several bundles: guessing one would be wrong too often
    if help_text:
        mentioned = _distinct(index.mentioned_in(help_text, allowed), fld.bundle)
        if len(mentioned) == 1:
            return Inferred(mentioned[0], "its help text")
    if implied:
        # The widget fixed the entity type; a bundle of it whose description uses the field's words.
        described = _distinct(index.described_by((*core, *label), {implied}), fld.bundle)
        if len(described) == 1:
            return Inferred(described[0], f"{by_name} and {described[0].label}'s description")
        only = _distinct(index.by_type.get(implied, []), fld.bundle)
        if len(only) == 1:
            what = "field type" if implied == "paragraph" else "widget"
            shown = row.get("form_widget") if what == "widget" else row.get("field_type")
            return Inferred(only[0], f"its {what} ({shown}) and the spec's only {only[0].type.label.lower()}")
    return None


def view_entity_type(base_table: str) -> str | None:
    low = base_table.strip().lower()
    return next((entity_type for prefix, entity_type in _BASE_TABLES if low.startswith(prefix)), None)


def infer_view_bundles(view: View, index: BundleIndex) -> list[Inferred]:
    """Bundles a view most likely lists: bundles of its base table named by its name or display titles.

    The description counts only where name and displays name nothing, and only for a bundle named in
    the plural or in several words: free text names things in passing ("promoted to the front page").
    """
    row = view.row
    entity_type = view_entity_type(row.get("base_table")) if row is not None else None
    if entity_type is None:
        return []
    allowed = {entity_type}
    found: dict[int, Inferred] = {}
    clues = [(view.machine_name, f"the view name `{view.machine_name}`"), (view.label, f"the view name '{view.label}'")]
    clues += [(r.get("title"), f"its display '{r.get('title')}'") for r in view.children
              if r.get("title").strip().lower() not in _PLUGIN_TITLES]
    for text, basis in clues:
        for bundle in index.mentioned_in(text, allowed):
            found.setdefault(id(bundle), Inferred(bundle, basis))
    description = row.get("description") if row is not None else ""
    if description and not found:
        words = drupal.machine_name_from_label(description).split("_")
        for bundle in index.mentioned_in(description, allowed):
            last = tokens(bundle.label)[-1]
            if len(tokens(bundle.label)) > 1 or any(w != last and singular(w) == last for w in words):
                found.setdefault(id(bundle), Inferred(bundle, "its description"))
    return list(found.values())


def is_content_moderation(workflow: Workflow) -> bool:
    return workflow.row is not None and "moderation" in workflow.row.get("type").lower()


@dataclass(frozen=True)
class InferredEdge:
    """`source`'s ticket (a bundle's, a view's, a workflow's) needs the one building `target`."""

    source: Bundle | Entity
    target: Bundle | Entity
    reason: str  # as a stated edge would say it, plus what it was inferred from and what to confirm
    basis: str  # what it was inferred from
    field_name: str = ""


def names_no_target(fld: Field) -> bool:
    """A built reference field with an empty Ref. bundle (a cell naming only itself or `User` states it)."""
    return (fld.row.is_built and not fld.targets and not fld.row.get("ref_bundle").strip()
            and is_reference_field(fld.row.get("field_type")))


def _lists_bundles(view: View) -> bool:
    return view.row is not None and view.row.is_built and view_entity_type(view.row.get("base_table")) is not None


def _unmoderated_workflow(catalog: Catalog) -> Workflow | None:
    """The spec's one content-moderation workflow, when nothing says which bundles it moderates."""
    if "moderated" in catalog.columns.get(SheetKind.BUNDLES, set()) or \
            "bundles" in catalog.columns.get(SheetKind.WORKFLOWS, set()):
        return None
    moderation = [w for w in catalog.workflows if not w.skipped and is_content_moderation(w)]
    return moderation[0] if len(moderation) == 1 and not moderation[0].bundles else None


def infer_edges(catalog: Catalog) -> Iterator[InferredEdge]:
    """Every edge the spec implies where it states nothing, with its reason."""
    index = BundleIndex(catalog.bundles)
    field_edges: list[InferredEdge] = []
    for fld in catalog.fields:
        if names_no_target(fld):
            guess = infer_field_target(fld, index)
            if guess is not None:
                field_edges.append(InferredEdge(
                    fld.bundle, guess.target, f"field {fld.machine_name} references {guess.target.display} — "
                    f"inferred from {guess.basis}; confirm the target bundles", guess.basis, fld.machine_name))
    yield from field_edges
    if "bundles" not in catalog.columns.get(SheetKind.VIEWS, set()):
        for view in catalog.views:
            if _lists_bundles(view) and not view.bundles:
                for guess in infer_view_bundles(view, index):
                    yield InferredEdge(view, guess.target, f"the view lists {guess.target.display} — inferred from "
                                       f"{guess.basis}; confirm the bundles it lists", guess.basis)
    references: dict[int, list[Bundle]] = {}  # id(bundle) -> the bundles its fields reference, stated or inferred
    for fld in catalog.fields:
        if fld.row.is_built:
            references.setdefault(id(fld.bundle), []).extend(fld.targets)
    for edge in field_edges:
        if isinstance(edge.target, Bundle):
            references.setdefault(id(edge.source), []).append(edge.target)
    workflow = _unmoderated_workflow(catalog)
    moderated: list[Bundle] = []
    if workflow is not None:
        # Content moderation is for editorial content: its content types, not vocabularies or media.
        basis = "the spec's only content-moderation workflow and no Mod. column"
        moderated = index.by_type.get(drupal.CONTENT_TYPE.entity_type, [])
        for bundle in moderated:
            yield InferredEdge(workflow, bundle, f"the workflow moderates {bundle.display} — inferred from {basis}; "
                               "confirm which bundles it moderates", basis)
    if SheetKind.PERMISSIONS not in catalog.columns:
        yield from _role_edges(catalog, index, references, moderated)


# Word starts that make a role editorial: its people write, review or publish content, so its
# permissions name content types and the moderation workflow's transitions.
_EDITORIAL_STARTS = ("creat", "edit", "author", "writ", "publish", "review", "approv", "moderat", "contribut")
# Words of a role name that say who, not what: "Content author", "Democratic services officer".
_ROLE_WORDS = {"content", "site", "senior", "junior", "lead", "team", "user", "staff", "officer", "member"}
_ALL_CONTENT = re.compile(r"\ball\s+(?:\w+\s+)?content\b", re.IGNORECASE)


def is_editorial(words: Sequence[str]) -> bool:
    return any(w.startswith(_EDITORIAL_STARTS) for w in words)


def role_subjects(role: Role, index: BundleIndex) -> tuple[list[Bundle], str]:
    """The bundles a role's people work on, named by its name or notes, and what said so.

    "Trail editor" and "Gear reviewer" name Trail guide and Gear review (content types only: a name
    word matching a vocabulary says less), "Basic page creator" names Basic page exactly, "Media
    creator" names every media type, and notes such as "Writes and updates trail guides" name the
    content types they mention.
    """
    words = tokens(role.label) or tokens(role.machine_name)
    subject = tuple(w for w in words if not is_editorial([w]) and w not in _ROLE_WORDS and w not in _STOP_WORDS)
    node = {drupal.CONTENT_TYPE.entity_type}
    media = drupal.MEDIA_TYPE.entity_type
    named_by = f"the role name '{role.label}'"
    if subject == (media,):
        return list(index.by_type.get(media, [])), named_by
    if subject:
        exact = index.named(subject, node | {media})
        if exact:
            return exact, named_by
        if not set(subject) <= _WEAK_WORDS:
            found = index.containing(subject, node)
            if found:
                return found, named_by
    notes = role.row.get("notes") if role.row is not None else ""
    if notes:
        found = index.mentioned_in(notes, node)
        if found:
            return found, "its notes"
    return [], ""


def _role_edges(catalog: Catalog, index: BundleIndex, references: dict[int, list[Bundle]],
                moderated: Sequence[Bundle]) -> Iterator[InferredEdge]:
    """What an editorial role's permissions would name, when the spec has no permissions grid.

    Precision first: only roles whose name or notes say they write, review or publish; the one
    content-moderation workflow (its transitions are theirs to use); the content types the role names,
    or, for a role named for content in general ("Content author", "Publisher", notes saying "all
    content"), the content types the workflow moderates; and the media types those content types
    reference (an editor creates the media they embed).
    """
    workflows = [w for w in catalog.workflows if not w.skipped and is_content_moderation(w)]
    workflow = workflows[0] if len(workflows) == 1 else None
    for role in catalog.roles:
        if role.skipped or role.existing or role.machine_name in dk.CORE_ROLES or role.row is None \
                or not role.row.is_built:
            continue
        notes = role.row.get("notes")
        if not is_editorial((*tokens(role.label), *tokens(role.machine_name), *tokens(notes))):
            continue
        bundles, basis = role_subjects(role, index)
        if not bundles and workflow is not None:
            subject = [w for w in tokens(role.label) if not is_editorial([w]) and w not in _ROLE_WORDS]
            # Notes saying "all content" take the moderated content types even where that set is itself
            # inferred; a name alone ("Content author") only where the spec states the set: two guesses
            # stacked are wrong too often (a council's meeting pages have their own officers).
            if _ALL_CONTENT.search(notes):
                bundles, basis = list(workflow.bundles or moderated), "its notes"
            elif not subject and workflow.bundles:
                bundles = list(workflow.bundles)
                basis = f"the role name '{role.label}' and the content types workflow {workflow.label} moderates"
        node_types = [b for b in bundles if b.type is drupal.CONTENT_TYPE]
        confirm = "confirm with a permissions grid"
        if workflow is not None and (node_types or not bundles):
            why = f"the role name '{role.label}'" + (" and its notes" if is_editorial(tokens(notes)) else "")
            yield InferredEdge(role, workflow, f"an editorial role uses workflow {workflow.label}'s transitions — "
                               f"inferred from {why}; {confirm}", why)
        for bundle in bundles:
            yield InferredEdge(role, bundle, f"the role creates and edits {bundle.display} — inferred from {basis}; "
                               f"{confirm}", basis)
        embedded = dict.fromkeys(t for b in node_types for t in references.get(id(b), [])
                                 if t.type is drupal.MEDIA_TYPE and t not in bundles)
        for media in embedded:
            because = f"{basis}; its content types reference {media.display}"
            yield InferredEdge(role, media, f"the role creates {media.display} for its content — inferred from "
                               f"{because}; {confirm}", because)


def _shown(names: Sequence[str], limit: int = 5) -> str:
    unique = list(dict.fromkeys(names))
    return ", ".join(unique[:limit]) + (f" and {len(unique) - limit} more" if len(unique) > limit else "")


def missing_columns(catalog: Catalog) -> tuple[list[Problem], list[str]]:
    """What the spec leaves the order to guess: one warning per sheet (not per row), and for the summary
    the columns that would make the order certain, as "sheet: column — why"."""
    problems: list[Problem] = []
    columns: list[str] = []
    unnamed: dict[str, list[str]] = {}
    for fld in catalog.fields:
        if names_no_target(fld):
            unnamed.setdefault(fld.row.file, []).append(fld.machine_name)
    has_column = "ref_bundle" in catalog.columns.get(SheetKind.FIELDS, set())
    for file, names in unnamed.items():
        problems.append(Problem(
            file, None, "Ref. bundle", Level.WARNING,
            f"{len(names)} reference field(s) name no target bundle ({_shown(names)}): the build order guesses "
            "their targets from names and widgets",
            ("fill in Ref. bundle for them" if has_column else "add a Ref. bundle column")
            + ", e.g. 'Tags (Vocabulary)', so that the build order is certain",
        ))
    if unnamed:
        count = sum(len(n) for n in unnamed.values())
        columns.append(f"fields: Ref. bundle — {count} reference field{'s name' if count != 1 else ' names'} "
                       "no target")
    if "bundles" not in catalog.columns.get(SheetKind.VIEWS, set()):
        views = [v for v in catalog.views if _lists_bundles(v) and not v.bundles]
        for file, names in _by_file((v.row.file, v.label) for v in views if v.row is not None).items():
            problems.append(Problem(
                file, None, None, Level.WARNING,
                f"no Bundles column: the bundles {len(names)} view(s) list are guessed from their names "
                f"({_shown(names)})", "add a Bundles column naming the bundles each view lists"))
        if views:
            many = len(views) != 1
            columns.append(f"views: Bundles — {len(views)} view{'s' if many else ''} list{'' if many else 's'} "
                           "unnamed bundles")
    workflow = _unmoderated_workflow(catalog)
    if workflow is not None:
        bundle_rows = [b.row for b in catalog.bundles if b.row is not None]
        if bundle_rows:
            problems.append(Problem(
                bundle_rows[0].file, None, None, Level.WARNING,
                f"no Mod. column: workflow '{workflow.label}' is assumed to moderate every content type",
                "add a Mod. column (y/n or the workflow's label) saying which bundles it moderates"))
        columns.append(f"bundles: Mod. — which bundles workflow '{workflow.label}' moderates")
    if SheetKind.PERMISSIONS not in catalog.columns and any(r.row is not None and r.row.is_built
                                                            for r in catalog.roles):
        columns.append("a permissions grid — which bundles and transitions each role uses")
    return problems, columns


def _by_file(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for file, name in pairs:
        grouped.setdefault(file, []).append(name)
    return grouped
