//! Pass 2: the blocks read in order against the heading outline — epics, features and
//! their sections — into epics, features and tasks. Keys default to slugs of the titles.

use super::blocks::{one_line, Block, BlockKind, ListItem};
use super::front_matter::FrontMatter;
use super::metadata::{
    comma_list, dependency, feature_metadata, known_pairs, metadata_pairs, parse_task,
    EPIC_METADATA,
};
use super::{error, MarkdownError};
use crate::governance::spec::{
    CrossEpicDependency, EpicDef, FeatureDef, ProjectScope, ProjectSpec, TaskEntry,
};
use std::collections::BTreeMap;

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

pub(super) struct SpecBuilder {
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
    pub(super) fn add(&mut self, block: Block) -> Result<(), MarkdownError> {
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

    pub(super) fn finish(self, front: FrontMatter) -> ProjectSpec {
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
