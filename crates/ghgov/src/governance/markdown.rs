//! The Markdown form of a project specification (SPEC-FORMATS.md §2), parsed into the same
//! `ProjectSpec` the YAML form gives.
//!
//! ```markdown
//! ---
//! organization: acme                      # front matter: the top-level fields
//! repository: widgets
//! ---
//! # Epic: Infrastructure Foundation {#infrastructure-foundation}
//! category: infrastructure · priority: critical · depends_on: other-epic
//!
//! Description paragraphs.
//!
//! ## Success criteria                     # a section: one string per bullet
//! - Monitoring coverage > 95%
//!
//! ## Feature: Monitoring {#monitoring-platform}
//! agent: agent:orchestrator · effort: 2-3 weeks
//!
//! - [ ] Set up Prometheus (complexity: medium) {#setup_prometheus}
//!
//! ### Acceptance criteria
//! - Dashboards cover every service
//! ```
//!
//! Parsing happens in two passes: pulldown-cmark's events become a flat list of top-level
//! blocks with line numbers, then the blocks are read in order against the heading outline
//! (which epic or feature, and which section, the text is in). Nothing is skipped silently:
//! text the format has no place for is an error with its line and a hint.

use super::document_limits::{DocumentLimits, LimitExceeded};
use super::load::{strip_yaml_locations, yaml_syntax_hint};
use super::prescan::{self, Refusal};
use super::spec::{
    CrossEpicDependency, EpicDef, FeatureDef, GitHubIntegration, ProjectScope, ProjectSpec,
    TaskDef, TaskEntry,
};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message} (hint: {hint})")]
pub struct MarkdownError {
    /// 1-based line of the document.
    pub line: usize,
    pub message: String,
    pub hint: String,
    /// Set when the front matter went past one of the document limits.
    pub limit: Option<LimitExceeded>,
}

fn error(line: usize, message: impl Into<String>, hint: impl Into<String>) -> MarkdownError {
    MarkdownError {
        line,
        message: message.into(),
        hint: hint.into(),
        limit: None,
    }
}

/// The specification in `text`. Its front matter is YAML, and is held to `limits`.
pub fn parse_markdown(text: &str, limits: &DocumentLimits) -> Result<ProjectSpec, MarkdownError> {
    let mut blocks = blocks(text)?.into_iter();
    let front_matter = match blocks.next() {
        Some(Block {
            kind: BlockKind::FrontMatter { yaml, first_line },
            ..
        }) => parse_front_matter(&yaml, first_line, limits)?,
        _ => {
            return Err(error(
                1,
                "the document has no front matter",
                "start it with a `---` line, `organization: …` and `repository: …` lines, \
                 and another `---` line",
            ))
        }
    };
    let mut builder = SpecBuilder::default();
    for block in blocks {
        builder.add(block)?;
    }
    Ok(builder.finish(front_matter))
}

// ---------------------------------------------------------------------------------------
// Pass 1: top-level blocks.

struct Block {
    line: usize,
    kind: BlockKind,
}

enum BlockKind {
    FrontMatter {
        yaml: String,
        first_line: usize,
    },
    Heading {
        level: usize,
        /// The heading's text without `{#id}`.
        text: String,
        id: Option<String>,
    },
    /// As written, line breaks included.
    Paragraph(String),
    List(Vec<ListItem>),
    /// Code blocks, block quotes and the like, as written.
    Verbatim(String),
}

struct ListItem {
    line: usize,
    /// Written `- [ ] …` or `- [x] …`.
    is_task: bool,
    text: String,
}

type Spanned<'a> = (Event<'a>, Range<usize>);

fn blocks(text: &str) -> Result<Vec<Block>, MarkdownError> {
    let lines = LineIndex::new(text);
    let options = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_TASKLISTS;
    let mut events = Parser::new_ext(text, options).into_offset_iter();
    let mut out = Vec::new();
    while let Some((event, range)) = events.next() {
        // Between blocks there are only rules (`***`), which carry nothing.
        let Event::Start(tag) = event else { continue };
        let line = lines.line_of(range.start);
        let inner = contents(&mut events);
        let kind = match tag {
            Tag::MetadataBlock(_) => BlockKind::FrontMatter {
                yaml: inner
                    .iter()
                    .filter_map(|(e, _)| match e {
                        Event::Text(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect(),
                first_line: inner
                    .first()
                    .map_or(line + 1, |(_, r)| lines.line_of(r.start)),
            },
            Tag::Heading { level, id, .. } => BlockKind::Heading {
                level: level as usize,
                text: one_line(&inline_source(text, &inner)),
                id: id.map(|id| id.to_string()),
            },
            Tag::Paragraph => BlockKind::Paragraph(inline_source(text, &inner)),
            Tag::List(_) => BlockKind::List(list_items(text, &inner, &lines)?),
            // HTML comments and markup are notes to the reader, not part of the plan.
            Tag::HtmlBlock => continue,
            _ => BlockKind::Verbatim(text[range].trim_end().to_string()),
        };
        out.push(Block { line, kind });
    }
    Ok(out)
}

/// The events up to the end of the element just started (its own end excluded).
fn contents<'a>(events: &mut impl Iterator<Item = Spanned<'a>>) -> Vec<Spanned<'a>> {
    let mut depth = 1;
    let mut inner = Vec::new();
    for (event, range) in events {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            break;
        }
        inner.push((event, range));
    }
    inner
}

fn list_items(
    text: &str,
    inner: &[Spanned<'_>],
    lines: &LineIndex,
) -> Result<Vec<ListItem>, MarkdownError> {
    let mut items = Vec::new();
    let mut item_events: Vec<Spanned<'_>> = Vec::new();
    let mut current: Option<ListItem> = None;
    for (event, range) in inner {
        match event {
            Event::Start(Tag::Item) => {
                item_events.clear();
                current = Some(ListItem {
                    line: lines.line_of(range.start),
                    is_task: false,
                    text: String::new(),
                });
            }
            Event::End(TagEnd::Item) => {
                if let Some(mut item) = current.take() {
                    item.text = one_line(&inline_source(text, &item_events));
                    items.push(item);
                }
            }
            Event::TaskListMarker(_) => {
                if let Some(item) = current.as_mut() {
                    item.is_task = true;
                }
            }
            // Loose lists (blank lines between items) wrap item text in paragraphs.
            Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {}
            Event::Start(Tag::List(_)) => {
                return Err(error(
                    lines.line_of(range.start),
                    "a list inside a list item",
                    "keep every bullet at the same level; each one is a task or an entry",
                ))
            }
            Event::Start(_) if !is_inline(event) => {
                return Err(error(
                    lines.line_of(range.start),
                    "a list item holds more than a line of text",
                    "write each entry as one line of text after `- `",
                ))
            }
            _ => item_events.push((event.clone(), range.clone())),
        }
    }
    Ok(items)
}

fn is_inline(event: &Event<'_>) -> bool {
    match event {
        Event::Text(_)
        | Event::Code(_)
        | Event::InlineHtml(_)
        | Event::InlineMath(_)
        | Event::FootnoteReference(_)
        | Event::SoftBreak
        | Event::HardBreak => true,
        Event::Start(tag) => matches!(
            tag,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. }
        ),
        Event::End(tag) => matches!(
            tag,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image
        ),
        _ => false,
    }
}

/// The source text the inline events cover: inline markup is kept as written, since the
/// text ends up in GitHub issue bodies, which are Markdown again.
fn inline_source(text: &str, events: &[Spanned<'_>]) -> String {
    let spans = events.iter().filter(|(e, _)| is_inline(e)).map(|(_, r)| r);
    let start = spans.clone().map(|r| r.start).min();
    let end = spans.map(|r| r.end).max();
    match (start, end) {
        (Some(start), Some(end)) => text[start..end].to_string(),
        _ => String::new(),
    }
}

/// Lines joined with single spaces, as a paragraph reads when rendered.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Byte offsets → 1-based line numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let breaks = text.match_indices('\n').map(|(i, _)| i + 1);
        LineIndex {
            starts: std::iter::once(0).chain(breaks).collect(),
        }
    }
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

// ---------------------------------------------------------------------------------------
// Front matter.

/// The specification's top-level fields, and the two of `project_scope` that are not
/// epics (`start_date`, `cross_epic_dependencies`).
#[derive(Deserialize)]
struct FrontMatter {
    organization: String,
    repository: String,
    #[serde(default)]
    start_date: Option<String>,
    #[serde(default)]
    cross_epic_dependencies: Vec<CrossEpicDependency>,
    #[serde(default)]
    generation_metadata: Option<Value>,
    #[serde(default)]
    github_integration: Option<GitHubIntegration>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

fn parse_front_matter(
    yaml: &str,
    first_line: usize,
    limits: &DocumentLimits,
) -> Result<FrontMatter, MarkdownError> {
    // As for a YAML document: the parser below would expand every alias.
    prescan::yaml(yaml, limits).map_err(|refusal| match refusal {
        Refusal::Limit(exceeded) => {
            let line = first_line + exceeded.line.unwrap_or(1) - 1;
            let (what, hint) = exceeded.explain();
            MarkdownError {
                line,
                message: format!("front matter: {what}"),
                hint,
                limit: Some(exceeded.at_line(line)),
            }
        }
        Refusal::Syntax { line, message, .. } => error(
            first_line + line - 1,
            format!("front matter: {message}"),
            yaml_syntax_hint(&message),
        ),
    })?;
    let front_matter: FrontMatter = serde_norway::from_str(yaml).map_err(|e| {
        let line = e
            .location()
            .map_or(first_line, |at| first_line + at.line() - 1);
        let message = strip_yaml_locations(&e.to_string());
        let hint = if message.contains("missing field") {
            "the front matter needs at least `organization:` and `repository:`"
        } else {
            yaml_syntax_hint(&message)
        };
        error(line, format!("front matter: {message}"), hint)
    })?;
    for nested in ["project_scope", "epic_definitions"] {
        if front_matter.extra.contains_key(nested) {
            return Err(error(
                first_line,
                format!("front matter: `{nested}` is not written here"),
                "write epics as `# Epic:` headings; give `start_date` and \
                 `cross_epic_dependencies` directly in the front matter",
            ));
        }
    }
    Ok(front_matter)
}

// ---------------------------------------------------------------------------------------
// Pass 2: the outline.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Epic,
    Feature,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    SuccessCriteria,
    AcceptanceCriteria,
    TechnicalSpecs,
    Variables,
    Tasks,
}

const SECTION_NAMES: &str = "Success criteria (epics only), Acceptance criteria, \
                             Technical specs, Variables, Tasks (features only)";

fn section_named(heading: &str) -> Option<Section> {
    let name = heading.trim().trim_end_matches(':').replace('_', " ");
    match name.to_lowercase().as_str() {
        "success criteria" => Some(Section::SuccessCriteria),
        "acceptance criteria" => Some(Section::AcceptanceCriteria),
        "technical specs" | "technical specifications" => Some(Section::TechnicalSpecs),
        "variables" => Some(Section::Variables),
        "tasks" => Some(Section::Tasks),
        _ => None,
    }
}

/// Where the next paragraph or list goes.
#[derive(Debug, Clone, Copy)]
enum Place {
    BeforeFirstEpic,
    /// Under an epic or feature heading, before any section. The first block there may
    /// be the metadata line.
    Body {
        owner: Owner,
        first_block: bool,
    },
    Section {
        owner: Owner,
        section: Section,
    },
}

struct SpecBuilder {
    epics: Vec<EpicDef>,
    /// From `depends_on` / `blocks` metadata, in document order.
    dependencies: Vec<CrossEpicDependency>,
    place: Place,
    /// Whether the latest feature heading still encloses what follows: any heading of
    /// level 1 or 2 ends it, so a later `## Success criteria` belongs to the epic.
    in_feature: bool,
}

impl Default for SpecBuilder {
    fn default() -> Self {
        SpecBuilder {
            epics: Vec::new(),
            dependencies: Vec::new(),
            place: Place::BeforeFirstEpic,
            in_feature: false,
        }
    }
}

impl SpecBuilder {
    fn add(&mut self, block: Block) -> Result<(), MarkdownError> {
        let line = block.line;
        match block.kind {
            BlockKind::FrontMatter { .. } => Err(error(
                line,
                "a second front matter block",
                "front matter goes only at the very top; separate parts with a blank line \
                 after `---`",
            )),
            BlockKind::Heading { level, text, id } => self.heading(line, level, &text, id),
            BlockKind::Paragraph(text) => {
                let first_block = self.take_first_block();
                self.paragraph(line, &text, first_block)
            }
            BlockKind::Verbatim(text) => {
                self.take_first_block();
                self.verbatim(line, text)
            }
            BlockKind::List(items) => {
                self.take_first_block();
                self.list(line, items)
            }
        }
    }

    fn heading(
        &mut self,
        line: usize,
        level: usize,
        text: &str,
        id: Option<String>,
    ) -> Result<(), MarkdownError> {
        if level <= 2 {
            self.in_feature = false;
        }
        if let Some(title) = strip_label(text, "Epic:") {
            if level != 1 {
                return Err(error(
                    line,
                    format!("an epic heading at level {level}"),
                    format!("epics are level-1 headings: `# Epic: {title}`"),
                ));
            }
            let epic_key = item_key(id, title, line, "epic")?;
            self.epics.push(EpicDef {
                epic_key,
                epic_title: title.to_string(),
                ..EpicDef::default()
            });
            self.place = Place::Body {
                owner: Owner::Epic,
                first_block: true,
            };
        } else if let Some(title) = strip_label(text, "Feature:") {
            if level != 2 {
                return Err(error(
                    line,
                    format!("a feature heading at level {level}"),
                    format!("features are level-2 headings under an epic: `## Feature: {title}`"),
                ));
            }
            let feature_key = item_key(id, title, line, "feature")?;
            let Some(epic) = self.epics.last_mut() else {
                return Err(error(
                    line,
                    "a feature before any epic",
                    "put it under an epic heading (`# Epic: TITLE {#key}`)",
                ));
            };
            epic.feature_breakdown.push(FeatureDef {
                feature_key,
                feature_title: title.to_string(),
                ..FeatureDef::default()
            });
            self.in_feature = true;
            self.place = Place::Body {
                owner: Owner::Feature,
                first_block: true,
            };
        } else {
            let owner = self.section_owner(line, level)?;
            let Some(section) = section_named(text) else {
                return Err(error(
                    line,
                    format!("unknown section \"{text}\""),
                    format!("sections are {SECTION_NAMES}"),
                ));
            };
            match (owner, section) {
                (Owner::Feature, Section::SuccessCriteria) => {
                    return Err(error(
                        line,
                        "success criteria under a feature",
                        "features have acceptance criteria (`### Acceptance criteria`); success \
                         criteria belong to the epic, before its first feature",
                    ))
                }
                (Owner::Epic, Section::Tasks) => {
                    return Err(error(
                        line,
                        "tasks directly under an epic",
                        "tasks belong to a feature: put them under a `## Feature: …` heading",
                    ))
                }
                _ => {}
            }
            self.place = Place::Section { owner, section };
        }
        Ok(())
    }

    /// A section belongs to the nearest epic or feature whose heading is shallower.
    fn section_owner(&self, line: usize, level: usize) -> Result<Owner, MarkdownError> {
        if self.in_feature {
            Ok(Owner::Feature)
        } else if level == 1 {
            Err(error(
                line,
                "a level-1 heading that is not an epic",
                "level-1 headings start epics: `# Epic: TITLE {#key}`; sections such as \
                 `## Success criteria` go under one",
            ))
        } else if self.epics.is_empty() {
            Err(error(
                line,
                "a section heading before any epic",
                "start with an epic heading (`# Epic: TITLE {#key}`)",
            ))
        } else {
            Ok(Owner::Epic)
        }
    }

    fn paragraph(
        &mut self,
        line: usize,
        text: &str,
        first_block: bool,
    ) -> Result<(), MarkdownError> {
        match self.place {
            Place::BeforeFirstEpic => Err(before_first_epic(line)),
            Place::Section { section, .. } => Err(error(
                line,
                format!("text in the {} section", section_title(section)),
                "write each entry as a `- ` bullet",
            )),
            Place::Body { owner, .. } => {
                let metadata = if first_block {
                    metadata_pairs(text)
                } else {
                    None
                };
                match (metadata, owner) {
                    (Some(pairs), Owner::Epic) => self.epic_metadata(line, pairs),
                    (Some(pairs), Owner::Feature) => feature_metadata(self.feature(), line, pairs),
                    (None, _) => {
                        self.add_description(owner, one_line(text));
                        Ok(())
                    }
                }
            }
        }
    }

    /// Marks the first block under a heading as seen; whether this was it.
    fn take_first_block(&mut self) -> bool {
        match &mut self.place {
            Place::Body { first_block, .. } => std::mem::replace(first_block, false),
            _ => false,
        }
    }

    /// A code block or quote in a description is kept as written.
    fn verbatim(&mut self, line: usize, text: String) -> Result<(), MarkdownError> {
        match self.place {
            Place::Body { owner, .. } => {
                self.add_description(owner, text);
                Ok(())
            }
            Place::BeforeFirstEpic => Err(before_first_epic(line)),
            Place::Section { section, .. } => Err(error(
                line,
                format!(
                    "a code block or quote in the {} section",
                    section_title(section)
                ),
                "write each entry as a `- ` bullet",
            )),
        }
    }

    fn list(&mut self, line: usize, items: Vec<ListItem>) -> Result<(), MarkdownError> {
        match self.place {
            Place::BeforeFirstEpic => Err(before_first_epic(line)),
            Place::Body {
                owner: Owner::Epic, ..
            } => Err(error(
                line,
                "a list directly under an epic",
                "tasks go under a `## Feature: …` heading; criteria under `## Success \
                 criteria`, `## Acceptance criteria` or `## Technical specs`",
            )),
            Place::Body {
                owner: Owner::Feature,
                ..
            }
            | Place::Section {
                section: Section::Tasks,
                ..
            } => self.tasks(items),
            Place::Section { owner, section } => {
                for item in items.into_iter().filter(|item| !item.text.is_empty()) {
                    self.section_entry(owner, section, item)?;
                }
                Ok(())
            }
        }
    }

    fn tasks(&mut self, items: Vec<ListItem>) -> Result<(), MarkdownError> {
        for item in items {
            if !item.is_task {
                return Err(error(
                    item.line,
                    "a plain bullet among a feature's tasks",
                    "write tasks as task-list items (`- [ ] Title {#task_key}`); criteria go \
                     under `### Acceptance criteria` or `### Technical specs`",
                ));
            }
            let task = parse_task(&item.text, item.line)?;
            self.feature().task_breakdown.push(TaskEntry::Full(task));
        }
        Ok(())
    }

    fn section_entry(
        &mut self,
        owner: Owner,
        section: Section,
        item: ListItem,
    ) -> Result<(), MarkdownError> {
        if item.is_task {
            return Err(error(
                item.line,
                format!("a task-list item in the {} section", section_title(section)),
                "tasks go directly under a feature heading (or its `### Tasks`); entries here \
                 are plain `- ` bullets",
            ));
        }
        if section == Section::Variables {
            let Some((name, value)) = item.text.split_once(':') else {
                return Err(error(
                    item.line,
                    format!("\"{}\" is not a variable", item.text),
                    "write variables as `- name: value`",
                ));
            };
            let variables = match owner {
                Owner::Epic => &mut self.epic().variables,
                Owner::Feature => &mut self.feature().variables,
            };
            if variables
                .insert(name.trim().to_string(), value.trim().to_string())
                .is_some()
            {
                return Err(error(
                    item.line,
                    format!("the variable `{}` is given twice", name.trim()),
                    "keep one of them",
                ));
            }
            return Ok(());
        }
        let entries = match (owner, section) {
            (Owner::Epic, Section::SuccessCriteria) => &mut self.epic().success_criteria,
            (Owner::Epic, Section::AcceptanceCriteria) => &mut self.epic().acceptance_criteria,
            (Owner::Epic, _) => &mut self.epic().technical_specs,
            (Owner::Feature, Section::AcceptanceCriteria) => {
                &mut self.feature().acceptance_criteria
            }
            (Owner::Feature, _) => &mut self.feature().technical_specs,
        };
        entries.push(item.text);
        Ok(())
    }

    fn epic_metadata(
        &mut self,
        line: usize,
        pairs: Vec<(String, String)>,
    ) -> Result<(), MarkdownError> {
        let epic = self.epics.last_mut().expect("an epic heading came first");
        for (name, value) in known_pairs(pairs, EPIC_METADATA, "epic", line)? {
            match name {
                "category" => epic.category = Some(value),
                "priority" => epic.priority = Some(value),
                "duration" => epic.estimated_duration = Some(value),
                "milestone" => epic.milestone_mapping = Some(value),
                "agents" => epic.assigned_agent_services = comma_list(&value, name, line)?,
                "depends_on" => {
                    for other in comma_list(&value, name, line)? {
                        self.dependencies
                            .push(dependency(&epic.epic_key, &other, "depends_on"));
                    }
                }
                "blocks" => {
                    for other in comma_list(&value, name, line)? {
                        self.dependencies
                            .push(dependency(&other, &epic.epic_key, "blocks"));
                    }
                }
                _ => unreachable!("known_pairs returns only EPIC_METADATA names"),
            }
        }
        Ok(())
    }

    fn add_description(&mut self, owner: Owner, paragraph: String) {
        let description = match owner {
            Owner::Epic => &mut self.epic().epic_description,
            Owner::Feature => &mut self.feature().feature_description,
        };
        match description {
            Some(text) => {
                text.push_str("\n\n");
                text.push_str(&paragraph);
            }
            None => *description = Some(paragraph),
        }
    }

    fn epic(&mut self) -> &mut EpicDef {
        self.epics.last_mut().expect("an epic heading came first")
    }

    fn feature(&mut self) -> &mut FeatureDef {
        self.epic()
            .feature_breakdown
            .last_mut()
            .expect("a feature heading came first")
    }

    fn finish(self, front: FrontMatter) -> ProjectSpec {
        let mut cross_epic_dependencies = front.cross_epic_dependencies;
        cross_epic_dependencies.extend(self.dependencies);
        ProjectSpec {
            organization: front.organization,
            repository: front.repository,
            project_scope: ProjectScope {
                start_date: front.start_date,
                epic_definitions: self.epics,
                cross_epic_dependencies,
                extra: BTreeMap::new(),
            },
            generation_metadata: front.generation_metadata,
            github_integration: front.github_integration,
            extra: front.extra,
        }
    }
}

fn before_first_epic(line: usize) -> MarkdownError {
    error(
        line,
        "text before the first epic",
        "everything after the front matter belongs to an epic: start with \
         `# Epic: TITLE {#key}`, or move the text into an epic's description",
    )
}

fn section_title(section: Section) -> &'static str {
    match section {
        Section::SuccessCriteria => "Success criteria",
        Section::AcceptanceCriteria => "Acceptance criteria",
        Section::TechnicalSpecs => "Technical specs",
        Section::Variables => "Variables",
        Section::Tasks => "Tasks",
    }
}

/// `text` without a leading `label` (any case), trimmed; None when it does not start so.
fn strip_label<'t>(text: &'t str, label: &str) -> Option<&'t str> {
    let head = text.get(..label.len())?;
    head.eq_ignore_ascii_case(label)
        .then(|| text[label.len()..].trim())
}

/// The `{#id}` of a heading, else a slug of its title.
fn item_key(
    id: Option<String>,
    title: &str,
    line: usize,
    kind: &str,
) -> Result<String, MarkdownError> {
    if title.is_empty() {
        return Err(error(
            line,
            format!("the {kind} has no title"),
            format!("write the title after `{}:`", capitalized(kind)),
        ));
    }
    let key = id.unwrap_or_else(|| slug(title, '-'));
    if key.is_empty() {
        return Err(error(
            line,
            format!("no {kind} key can be made from \"{title}\""),
            "give one at the end of the heading: `{#my-key}`",
        ));
    }
    Ok(key)
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Lower case, each run of other characters one `separator`, none at the ends:
/// "Monitoring & Logging" → `monitoring-logging`.
pub fn slug(title: &str, separator: char) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in title.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(separator);
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Metadata lines and tasks.

/// Accepted metadata names: (name, aliases). The aliases are the YAML field names.
type MetadataNames = &'static [(&'static str, &'static [&'static str])];

const EPIC_METADATA: MetadataNames = &[
    ("category", &[]),
    ("priority", &[]),
    ("duration", &["estimated_duration"]),
    ("milestone", &["milestone_mapping"]),
    ("agents", &["assigned_agent_services"]),
    ("depends_on", &[]),
    ("blocks", &[]),
];

const FEATURE_METADATA: MetadataNames = &[
    ("agent", &["assigned_agent"]),
    ("effort", &["estimated_effort"]),
    ("template", &[]),
    ("priority", &[]),
    ("capability", &["required_capability"]),
];

const TASK_METADATA: MetadataNames = &[
    ("complexity", &[]),
    ("agent", &["assigned_agent"]),
    ("capability", &["required_capability"]),
    ("priority", &[]),
];

/// `name: value` pairs separated by `·`, `|`, `;` or line breaks; None when `text` is
/// anything else (then it is ordinary text). A value may itself contain colons
/// (`agent: agent:qa`), so each pair splits at its first `: `.
fn metadata_pairs(text: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for piece in text.split(['\n', ';', '·', '|']).map(str::trim) {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = piece.split_once(": ")?;
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !is_name || value.trim().is_empty() {
            return None;
        }
        pairs.push((name.to_string(), value.trim().to_string()));
    }
    (!pairs.is_empty()).then_some(pairs)
}

/// The pairs under their canonical names; unknown or repeated names are errors.
fn known_pairs(
    pairs: Vec<(String, String)>,
    known: MetadataNames,
    kind: &str,
    line: usize,
) -> Result<Vec<(&'static str, String)>, MarkdownError> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for (name, value) in pairs {
        let Some(&(canonical, _)) = known
            .iter()
            .find(|(n, aliases)| *n == name || aliases.contains(&name.as_str()))
        else {
            let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
            return Err(error(
                line,
                format!("unknown {kind} metadata `{name}`"),
                format!("{kind} metadata names are {}", names.join(", ")),
            ));
        };
        if out.iter().any(|(seen, _)| *seen == canonical) {
            return Err(error(
                line,
                format!("the {kind} metadata `{canonical}` is given twice"),
                "keep one of them",
            ));
        }
        out.push((canonical, value));
    }
    Ok(out)
}

fn feature_metadata(
    feature: &mut FeatureDef,
    line: usize,
    pairs: Vec<(String, String)>,
) -> Result<(), MarkdownError> {
    for (name, value) in known_pairs(pairs, FEATURE_METADATA, "feature", line)? {
        let slot = match name {
            "agent" => &mut feature.assigned_agent,
            "effort" => &mut feature.estimated_effort,
            "template" => &mut feature.template,
            "priority" => &mut feature.priority,
            "capability" => &mut feature.required_capability,
            _ => unreachable!("known_pairs returns only FEATURE_METADATA names"),
        };
        *slot = Some(value);
    }
    Ok(())
}

fn comma_list(value: &str, name: &str, line: usize) -> Result<Vec<String>, MarkdownError> {
    let list: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect();
    if list.is_empty() {
        return Err(error(
            line,
            format!("`{name}` names nothing"),
            "separate the names with commas",
        ));
    }
    Ok(list)
}

fn dependency(dependent: &str, dependency: &str, kind: &str) -> CrossEpicDependency {
    CrossEpicDependency {
        dependent_epic: dependent.to_string(),
        dependency_epic: dependency.to_string(),
        dependency_type: kind.to_string(),
        dependency_reason: None,
    }
}

/// `Title (name: value · …) {#task_key}`; the metadata and the key are optional.
fn parse_task(text: &str, line: usize) -> Result<TaskDef, MarkdownError> {
    let (rest, key) = split_trailing_key(text, line)?;
    let (title, pairs) = split_trailing_metadata(rest);
    if title.is_empty() {
        return Err(error(
            line,
            "a task without a title",
            "write the title after `- [ ] `",
        ));
    }
    let task_key = key.unwrap_or_else(|| slug(title, '_'));
    if task_key.is_empty() {
        return Err(error(
            line,
            format!("no task key can be made from \"{title}\""),
            "give one at the end of the line: `{#my_task}`",
        ));
    }
    let mut task = TaskDef {
        task_key,
        title: Some(title.to_string()),
        ..TaskDef::default()
    };
    for (name, value) in known_pairs(pairs, TASK_METADATA, "task", line)? {
        let slot = match name {
            "complexity" => &mut task.complexity,
            "agent" => &mut task.assigned_agent,
            "capability" => &mut task.required_capability,
            "priority" => &mut task.priority,
            _ => unreachable!("known_pairs returns only TASK_METADATA names"),
        };
        *slot = Some(value);
    }
    Ok(task)
}

/// Splits off a trailing `{#key}`.
fn split_trailing_key(text: &str, line: usize) -> Result<(&str, Option<String>), MarkdownError> {
    let text = text.trim_end();
    let Some(open) = text.strip_suffix('}').and_then(|inner| inner.rfind("{#")) else {
        return Ok((text, None));
    };
    let key = text[open + 2..text.len() - 1].trim();
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(error(
            line,
            format!("\"{{#{key}}}\" is not a task key"),
            "a task key is one word such as `{#write_load_tests}`",
        ));
    }
    Ok((text[..open].trim_end(), Some(key.to_string())))
}

/// Splits off trailing `(name: value · …)` when the parentheses hold metadata; other
/// parentheses are part of the title.
fn split_trailing_metadata(text: &str) -> (&str, Vec<(String, String)>) {
    let text = text.trim();
    let Some(inner_end) = text.strip_suffix(')').map(str::len) else {
        return (text, Vec::new());
    };
    let mut depth = 0;
    let open = text[..inner_end].char_indices().rev().find(|&(_, c)| {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => return true,
            '(' => depth -= 1,
            _ => {}
        }
        false
    });
    match open.and_then(|(open, _)| Some((open, metadata_pairs(&text[open + 1..inner_end])?))) {
        Some((open, pairs)) => (text[..open].trim_end(), pairs),
        None => (text, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "---\norganization: acme\nrepository: widgets\n---\n";

    fn parse(body: &str) -> Result<ProjectSpec, MarkdownError> {
        parse_markdown(&format!("{HEADER}{body}"), &DocumentLimits::DEFAULT)
    }

    /// The error for `body`, with its line counted from the first line after the header.
    fn body_error(body: &str) -> (usize, String, String) {
        let e = parse(body).expect_err("an error");
        (e.line - HEADER.lines().count(), e.message, e.hint)
    }

    const FULL: &str = "\
# Epic: Infrastructure Foundation Platform {#infrastructure-foundation}
category: infrastructure · priority: critical · duration: 3 months · milestone: Q1-2026-Infra
agents: agent:orchestrator, agent:security

Build foundational *infrastructure* components.
Second line of the same paragraph.

A second paragraph with `code`.

## Success criteria
- All components deployed
- Monitoring coverage > 95%

## Technical specs
- Terraform for everything

## Variables
- component_type: networking

## Feature: Monitoring & Logging Platform {#monitoring-platform}
agent: agent:orchestrator | effort: 2-3 weeks; template: monitoring-feature

Comprehensive monitoring.

- [ ] Set up Prometheus monitoring (complexity: medium) {#setup_prometheus_monitoring}
- [x] Configure Grafana dashboards
- [ ] Write load tests (complexity: complex · agent: agent:qa · capability: testing) {#write_load_tests}

### Acceptance criteria
- Dashboards cover every service

### Technical specs
- Prometheus 2.x

## Acceptance criteria
- Epic-level acceptance

# Epic: Agent Services
depends_on: infrastructure-foundation · blocks: later-one, other

## Feature: Routing
";

    #[test]
    fn a_full_document() {
        let spec = parse(FULL).unwrap();
        assert_eq!(spec.organization, "acme");
        assert_eq!(spec.repository, "widgets");
        let epics = &spec.project_scope.epic_definitions;
        assert_eq!(epics.len(), 2);

        let infra = &epics[0];
        assert_eq!(infra.epic_key, "infrastructure-foundation");
        assert_eq!(infra.epic_title, "Infrastructure Foundation Platform");
        assert_eq!(infra.category.as_deref(), Some("infrastructure"));
        assert_eq!(infra.priority.as_deref(), Some("critical"));
        assert_eq!(infra.estimated_duration.as_deref(), Some("3 months"));
        assert_eq!(infra.milestone_mapping.as_deref(), Some("Q1-2026-Infra"));
        assert_eq!(
            infra.assigned_agent_services,
            ["agent:orchestrator", "agent:security"]
        );
        assert_eq!(
            infra.epic_description.as_deref(),
            Some(
                "Build foundational *infrastructure* components. Second line of the same \
                 paragraph.\n\nA second paragraph with `code`."
            )
        );
        assert_eq!(
            infra.success_criteria,
            ["All components deployed", "Monitoring coverage > 95%"]
        );
        assert_eq!(infra.technical_specs, ["Terraform for everything"]);
        assert_eq!(infra.acceptance_criteria, ["Epic-level acceptance"]);
        assert_eq!(infra.variables["component_type"], "networking");

        let monitoring = &infra.feature_breakdown[0];
        assert_eq!(monitoring.feature_key, "monitoring-platform");
        assert_eq!(monitoring.feature_title, "Monitoring & Logging Platform");
        assert_eq!(
            monitoring.assigned_agent.as_deref(),
            Some("agent:orchestrator")
        );
        assert_eq!(monitoring.estimated_effort.as_deref(), Some("2-3 weeks"));
        assert_eq!(monitoring.template.as_deref(), Some("monitoring-feature"));
        assert_eq!(
            monitoring.feature_description.as_deref(),
            Some("Comprehensive monitoring.")
        );
        assert_eq!(
            monitoring.acceptance_criteria,
            ["Dashboards cover every service"]
        );
        assert_eq!(monitoring.technical_specs, ["Prometheus 2.x"]);

        let tasks: Vec<TaskDef> = monitoring
            .task_breakdown
            .iter()
            .map(|t| t.to_def())
            .collect();
        assert_eq!(tasks.len(), 3);
        assert_eq!(tasks[0].task_key, "setup_prometheus_monitoring");
        assert_eq!(
            tasks[0].title.as_deref(),
            Some("Set up Prometheus monitoring")
        );
        assert_eq!(tasks[0].complexity.as_deref(), Some("medium"));
        assert_eq!(tasks[1].task_key, "configure_grafana_dashboards");
        assert_eq!(
            tasks[1].title.as_deref(),
            Some("Configure Grafana dashboards")
        );
        assert_eq!(tasks[2].task_key, "write_load_tests");
        assert_eq!(tasks[2].complexity.as_deref(), Some("complex"));
        assert_eq!(tasks[2].assigned_agent.as_deref(), Some("agent:qa"));
        assert_eq!(tasks[2].required_capability.as_deref(), Some("testing"));

        let services = &epics[1];
        assert_eq!(services.epic_key, "agent-services");
        assert_eq!(services.feature_breakdown[0].feature_key, "routing");
        assert_eq!(
            spec.project_scope.cross_epic_dependencies,
            [
                dependency("agent-services", "infrastructure-foundation", "depends_on"),
                dependency("later-one", "agent-services", "blocks"),
                dependency("other", "agent-services", "blocks"),
            ]
        );
    }

    #[test]
    fn front_matter_gives_the_top_level_fields() {
        let text = "---
organization: acme
repository: widgets
start_date: 2026-01-05
generation_metadata:
  confidence_score: 0.95
cross_epic_dependencies:
  - dependent_epic: b
    dependency_epic: a
    dependency_reason: needs a
owner_team: platform
github_integration:
  label_configuration:
    epic_label: { color: 8B4789 }
---
# Epic: A
# Epic: B
depends_on: a
";
        let spec = parse_markdown(text, &DocumentLimits::DEFAULT).unwrap();
        assert_eq!(spec.project_scope.start_date.as_deref(), Some("2026-01-05"));
        assert_eq!(
            spec.generation_metadata,
            Some(serde_json::json!({"confidence_score": 0.95}))
        );
        assert_eq!(spec.extra["owner_team"], "platform");
        let labels = spec
            .github_integration
            .unwrap()
            .label_configuration
            .unwrap();
        assert_eq!(labels.epic_label.unwrap().color.as_deref(), Some("8B4789"));
        let deps = &spec.project_scope.cross_epic_dependencies;
        assert_eq!(deps.len(), 2);
        assert_eq!(deps[0].dependency_type, "blocks");
        assert_eq!(deps[0].dependency_reason.as_deref(), Some("needs a"));
        assert_eq!(deps[1], dependency("b", "a", "depends_on"));
    }

    #[test]
    fn front_matter_errors() {
        let e = parse_markdown("# Epic: A\n", &DocumentLimits::DEFAULT).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("no front matter"));

        let e = parse_markdown(
            "---\norganization: acme\n---\n# Epic: A\n",
            &DocumentLimits::DEFAULT,
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("missing field `repository`"), "{e}");
        assert!(e.hint.contains("organization"));

        let e = parse_markdown(
            "---\norganization: acme\nrepository: w\n  x: y: z\n---\n",
            &DocumentLimits::DEFAULT,
        )
        .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.starts_with("front matter: mapping values"), "{e}");
        assert!(!e.message.contains(" at line"), "{e}");

        let e = parse_markdown(
            "---\norganization: acme\nrepository: w\nproject_scope:\n  start_date: x\n---\n",
            &DocumentLimits::DEFAULT,
        )
        .unwrap_err();
        assert!(e.message.contains("`project_scope`"), "{e}");
    }

    #[test]
    fn keys_default_to_slugs() {
        assert_eq!(
            slug("Monitoring & Logging Platform", '-'),
            "monitoring-logging-platform"
        );
        assert_eq!(slug("  Write load-tests!  ", '_'), "write_load_tests");
        assert_eq!(slug("Ünïcode Title", '-'), "ünïcode-title");
        assert_eq!(slug("!!!", '-'), "");
        let spec =
            parse("# Epic: The Big One\n## Feature: Small, Part\n- [ ] Do it: now\n").unwrap();
        let epic = &spec.project_scope.epic_definitions[0];
        assert_eq!(epic.epic_key, "the-big-one");
        assert_eq!(epic.feature_breakdown[0].feature_key, "small-part");
        assert_eq!(
            epic.feature_breakdown[0].task_breakdown[0]
                .to_def()
                .task_key,
            "do_it_now"
        );
    }

    #[test]
    fn task_lines() {
        let task = parse_task("Write docs (optional) {#docs}", 1).unwrap();
        assert_eq!(task.title.as_deref(), Some("Write docs (optional)"));
        assert_eq!(task.task_key, "docs");
        let task = parse_task("Tune (the (inner) part) (complexity: simple)", 1).unwrap();
        assert_eq!(task.title.as_deref(), Some("Tune (the (inner) part)"));
        assert_eq!(task.complexity.as_deref(), Some("simple"));
        assert_eq!(task.task_key, "tune_the_inner_part");
        let task = parse_task(
            "Secure it (assigned_agent: agent:security; priority: high)",
            1,
        )
        .unwrap();
        assert_eq!(task.assigned_agent.as_deref(), Some("agent:security"));
        assert_eq!(task.priority.as_deref(), Some("high"));

        let e = parse_task("Thing (effort: 2 days)", 7).unwrap_err();
        assert_eq!(e.line, 7);
        assert_eq!(e.message, "unknown task metadata `effort`");
        assert_eq!(
            e.hint,
            "task metadata names are complexity, agent, capability, priority"
        );
        let e = parse_task("Thing {#two words}", 1).unwrap_err();
        assert!(e.message.contains("is not a task key"));
        let e = parse_task("{#only_key}", 1).unwrap_err();
        assert_eq!(e.message, "a task without a title");
    }

    #[test]
    fn metadata_lines() {
        assert_eq!(
            metadata_pairs("agent: agent:orchestrator · effort: 2-3 weeks"),
            Some(vec![
                ("agent".into(), "agent:orchestrator".into()),
                ("effort".into(), "2-3 weeks".into())
            ])
        );
        assert_eq!(metadata_pairs("Note: this is prose."), None);
        assert_eq!(metadata_pairs("priority: high · and more"), None);
        assert_eq!(metadata_pairs("priority:"), None);
        // Only the first paragraph can be metadata; later ones are description.
        let spec = parse("# Epic: A\nIntro.\n\npriority: high\n").unwrap();
        let epic = &spec.project_scope.epic_definitions[0];
        assert_eq!(epic.priority, None);
        assert_eq!(
            epic.epic_description.as_deref(),
            Some("Intro.\n\npriority: high")
        );
    }

    #[test]
    fn metadata_errors() {
        let (line, message, hint) = body_error("# Epic: A\nowner: me\n");
        assert_eq!(
            (line, message.as_str()),
            (2, "unknown epic metadata `owner`")
        );
        assert_eq!(
            hint,
            "epic metadata names are category, priority, duration, milestone, agents, \
             depends_on, blocks"
        );
        let (line, message, hint) = body_error("# Epic: A\n\n## Feature: F\n\nduration: 1 week\n");
        assert_eq!(
            (line, message.as_str()),
            (5, "unknown feature metadata `duration`")
        );
        assert!(hint.starts_with("feature metadata names are agent, effort"));
        let (_, message, _) = body_error("# Epic: A\npriority: high · priority: low\n");
        assert_eq!(message, "the epic metadata `priority` is given twice");
        let (_, message, _) = body_error("# Epic: A\ndepends_on: ,\n");
        assert_eq!(message, "`depends_on` names nothing");
    }

    #[test]
    fn structure_errors_have_lines_and_hints() {
        let cases: &[(&str, usize, &str)] = &[
            ("## Feature: F\n", 1, "a feature before any epic"),
            (
                "# Epic: A\n\n- [ ] task\n",
                3,
                "a list directly under an epic",
            ),
            (
                "# Epic: A\n\n### Feature: F\n",
                3,
                "a feature heading at level 3",
            ),
            ("## Epic: A\n", 1, "an epic heading at level 2"),
            (
                "# Epic: A\n## Feature: F\n- plain bullet\n",
                3,
                "a plain bullet among a feature's tasks",
            ),
            ("# Epic: A\n## Wishes\n", 2, "unknown section \"Wishes\""),
            (
                "# Epic: A\n## Feature: F\n### Success criteria\n",
                3,
                "success criteria under a feature",
            ),
            ("# Epic: A\n## Tasks\n", 2, "tasks directly under an epic"),
            ("# Plan\n", 1, "a level-1 heading that is not an epic"),
            ("Intro text\n", 1, "text before the first epic"),
            (
                "## Success criteria\n",
                1,
                "a section heading before any epic",
            ),
            (
                "# Epic: A\n## Success criteria\nSome prose.\n",
                3,
                "text in the Success criteria section",
            ),
            (
                "# Epic: A\n## Feature: F\n### Acceptance criteria\n- [ ] a task\n",
                4,
                "a task-list item in the Acceptance criteria section",
            ),
            (
                "# Epic: A\n## Feature: F\n- [ ] a\n  - [ ] nested\n",
                4,
                "a list inside a list item",
            ),
            ("# Epic:\n", 1, "the epic has no title"),
            (
                "# Epic: A\n## Variables\n- no colon here\n",
                3,
                "\"no colon here\" is not a variable",
            ),
        ];
        for (body, line, message) in cases {
            let (got_line, got_message, hint) = body_error(body);
            assert_eq!(
                (got_line, got_message.as_str()),
                (*line, *message),
                "{body}"
            );
            assert!(!hint.is_empty());
        }
        let e = parse("# Epic: A\n## Wishes\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 6: unknown section \"Wishes\" (hint: sections are Success criteria (epics \
             only), Acceptance criteria, Technical specs, Variables, Tasks (features only))"
        );
    }

    #[test]
    fn sections_follow_the_heading_outline() {
        let spec = parse(
            "# Epic: A
## Feature: F
### Tasks
- [ ] One
### Technical Specifications
- Spec for F
## Success criteria
- For A
### Acceptance criteria
- Also for A
",
        )
        .unwrap();
        let epic = &spec.project_scope.epic_definitions[0];
        let feature = &epic.feature_breakdown[0];
        assert_eq!(feature.task_breakdown.len(), 1);
        assert_eq!(feature.technical_specs, ["Spec for F"]);
        assert_eq!(epic.success_criteria, ["For A"]);
        assert_eq!(epic.acceptance_criteria, ["Also for A"]);
    }

    #[test]
    fn loose_lists_comments_and_code_blocks() {
        let spec = parse(
            "<!-- a note for readers -->
# Epic: A

```text
keep   this
```

## Success criteria

- First,
  continued

- Second
",
        )
        .unwrap();
        let epic = &spec.project_scope.epic_definitions[0];
        assert_eq!(
            epic.epic_description.as_deref(),
            Some("```text\nkeep   this\n```")
        );
        assert_eq!(epic.success_criteria, ["First, continued", "Second"]);
    }
}
