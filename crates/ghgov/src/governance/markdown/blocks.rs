//! Pass 1: pulldown-cmark's events become a flat list of top-level blocks (front matter,
//! headings, paragraphs, lists, verbatim text), each with its 1-based line.

use super::{error, MarkdownError};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

pub(super) struct Block {
    pub(super) line: usize,
    pub(super) kind: BlockKind,
}

pub(super) enum BlockKind {
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

pub(super) struct ListItem {
    pub(super) line: usize,
    /// Written `- [ ] …` or `- [x] …`.
    pub(super) is_task: bool,
    pub(super) text: String,
}

type Spanned<'a> = (Event<'a>, Range<usize>);

pub(super) fn blocks(text: &str) -> Result<Vec<Block>, MarkdownError> {
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
pub(super) fn one_line(text: &str) -> String {
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
