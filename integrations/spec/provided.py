"""Configuration Drupal core, its Standard profile and common contributed modules install (docs/design.md §6).

A spec row naming one of these is not a "Create" ticket (the machine name is taken as soon as the
module is on) but an item to confirm and adjust, or to extend where the spec adds displays or grants
permissions. Every entry names the file that ships it, so that a reader can check the table.

Checked (2026-12-02) against the config file names in the repositories, not from memory:
- drupal/drupal core/modules/system/config/install: system.menu.{account,admin,footer,main,tools}.yml
- core/modules/image/config/install: image.style.{large,medium,thumbnail,wide}.yml
- core/modules/media_library/config/install: image.style.media_library.yml, views.view.media_library.yml
- core/modules/user/config/install: user.role.{anonymous,authenticated}.yml;
  core/modules/user/config/optional: views.view.{user_admin_people,who_s_new,who_s_online}.yml
- core/profiles/standard/config/install: user.role.{administrator,content_editor}.yml
- core/modules/node/config/optional: views.view.{archive,content,content_recent,frontpage,glossary}.yml
- core/modules/{file,media,taxonomy,dblog,block_content,content_moderation,comment}/config/optional:
  views.view.{files,media,taxonomy_term,watchdog,block_content,moderated_content,comment,comments_recent}.yml
- redirect (md-systems/redirect) config/install/views.view.redirect.yml
- scheduler (jonathan1055/scheduler) config/install/views.view.scheduler_scheduled_content.yml and
  config/optional/views.view.scheduler_scheduled_{media,taxonomy_term,commerce_product}.yml
Display ids of the core views are those of the shipped files (the Drupal Spec Tool's default spec,
an export of a real site, lists the same ids). The Standard profile's bundles (article, page, tags)
are left out on purpose: their rows carry fields that are work either way, and a site installed
from another profile has none of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provided:
    key: str  # config name
    provider: str  # the module (or install profile) that ships it
    source: str  # the file that ships it, for a reader checking the table
    # A view's shipped display ids: the spec's other displays are additions. None: not recorded here,
    # so every display the spec lists is taken as shipped.
    displays: frozenset[str] | None = frozenset()


_CORE = "core/modules"
_STANDARD = "core/profiles/standard/config/install"


def _view(name: str, provider: str, where: str, *displays: str) -> Provided:
    return Provided(f"views.view.{name}", provider, f"{where}/views.view.{name}.yml",
                    frozenset(("default", *displays)) if displays else None)


PROVIDED: dict[str, Provided] = {p.key: p for p in (
    *(Provided(f"system.menu.{m}", "system", f"{_CORE}/system/config/install/system.menu.{m}.yml")
      for m in ("account", "admin", "footer", "main", "tools")),
    *(Provided(f"image.style.{s}", "image", f"{_CORE}/image/config/install/image.style.{s}.yml")
      for s in ("large", "medium", "thumbnail", "wide")),
    Provided("image.style.media_library", "media_library",
             f"{_CORE}/media_library/config/install/image.style.media_library.yml"),
    *(Provided(f"user.role.{r}", "user", f"{_CORE}/user/config/install/user.role.{r}.yml")
      for r in ("anonymous", "authenticated")),
    *(Provided(f"user.role.{r}", "standard", f"{_STANDARD}/user.role.{r}.yml")
      for r in ("administrator", "content_editor")),
    _view("content", "node", f"{_CORE}/node/config/optional", "page_1"),
    _view("archive", "node", f"{_CORE}/node/config/optional", "block_1", "page_1"),
    _view("content_recent", "node", f"{_CORE}/node/config/optional", "block_1"),
    _view("frontpage", "node", f"{_CORE}/node/config/optional", "feed_1", "page_1"),
    _view("glossary", "node", f"{_CORE}/node/config/optional", "attachment_1", "page_1"),
    _view("files", "file", f"{_CORE}/file/config/optional", "page_1", "page_2"),
    _view("media", "media", f"{_CORE}/media/config/optional", "media_page_list"),
    _view("media_library", "media_library", f"{_CORE}/media_library/config/install", "page", "widget",
          "widget_table"),
    _view("taxonomy_term", "taxonomy", f"{_CORE}/taxonomy/config/optional", "feed_1", "page_1"),
    _view("user_admin_people", "user", f"{_CORE}/user/config/optional", "page_1"),
    _view("who_s_new", "user", f"{_CORE}/user/config/optional", "block_1"),
    _view("who_s_online", "user", f"{_CORE}/user/config/optional", "who_s_online_block"),
    _view("watchdog", "dblog", f"{_CORE}/dblog/config/optional", "page"),
    _view("block_content", "block_content", f"{_CORE}/block_content/config/optional", "page_1"),
    _view("moderated_content", "content_moderation", f"{_CORE}/content_moderation/config/optional",
          "moderated_content"),
    _view("comment", "comment", f"{_CORE}/comment/config/optional", "page_published", "page_unapproved"),
    _view("comments_recent", "comment", f"{_CORE}/comment/config/optional", "block_1"),
    _view("redirect", "redirect", "redirect: config/install", "page_1"),
    _view("scheduler_scheduled_content", "scheduler", "scheduler: config/install", "overview", "user_page"),
    *(_view(f"scheduler_scheduled_{t}", "scheduler", "scheduler: config/optional", "overview", "user_page")
      for t in ("media", "taxonomy_term", "commerce_product")),
)}


# Bundles the Standard install profile creates, by lowercased label: a permission titled "Basic page: Edit any
# content" names node.type.page (core/profiles/standard/config/install/node.type.page.yml) even where the spec
# has no row for the bundle.
STANDARD_BUNDLES = {"basic page": "page", "article": "article", "tags": "tags"}


def provided(key: str) -> Provided | None:
    """What ships the configuration named `key`, if Drupal core, Standard or a common module does."""
    return PROVIDED.get(key)
