//! The `/report` conversation as a state machine: plain data in, plain data out, persisted as JSON.
//!
//! ```text
//! reporter: /report
//! bot:      What is the problem, in a few words?            (Title)
//! reporter: Street light out
//! bot:      Please describe it: where, since when, ...       (Description)
//! reporter: Jl. Merdeka 12, dark since Monday
//! bot:      Which category fits best? [Roads] [Lighting]     (Category; skipped when there are none)
//! reporter: <taps Lighting>
//! bot:      Send photos or documents, then /done; /skip      (Attachments)
//! reporter: <photo>
//! bot:      Got it (1 file(s)). Send more, or /done.
//! reporter: /done
//! bot:      Please check your report: ... [Send] [Cancel]    (Confirm)
//! reporter: <taps Send>
//! bot:      Thank you! Your report is filed as TKT-0042.     (back to Idle)
//! ```
//!
//! `/cancel` ends the report from any step. Input that does not fit a step re-prompts and keeps the draft.
//! `/report` while a draft is being written asks first:
//!
//! ```text
//! reporter: /report
//! bot:      You are writing a report ("Street light out"). Start a new one and discard it?
//!           [Start over] [Keep my draft]
//! ```
//!
//! Only the newest summary's Send button files the report: pressing Send on an older summary (whose
//! draft may differ) says so and shows the current summary again.
//!
//! The attachments step also takes a location (Telegram's attachment menu, Location), stored on the
//! ticket. On the summary each field has a button that changes only that field and shows the summary
//! again:
//!
//! ```text
//! bot:      Please check your report: ...  [Send] [Cancel]
//!           [Edit title] [Edit description] [Edit category] [Edit location] [Edit files]
//! reporter: <taps Edit title>
//! bot:      Send the new title ...                           (Edit)
//! reporter: Street light out on Jl. Merdeka
//! bot:      Please check your report: ...                    (Confirm again)
//! ```
//!
//! Outside a report, a message sent without Telegram's Reply is added to the reporter's most recently
//! active open ticket (`handlers`); its text is kept (`Held`) so that its buttons can move it to another
//! ticket or start a new report with it as the description (`SeededTitle` then asks for the title).
//! After a rating button, the next text is the rating's comment (`RatingComment`; /skip for none).

use serde::{Deserialize, Serialize};

/// Largest file accepted, in bytes (the Bot API's `getFile` serves files up to 20 MB).
pub const MAX_FILE_BYTES: u32 = 20 * 1024 * 1024;
/// Most files on one report.
pub const MAX_FILES: usize = 10;
/// Longest title accepted from Telegram, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// A file the reporter sent, not yet downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFile {
    /// Telegram's `file_id`, for `getFile`.
    pub file_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: u32,
}

/// A location the reporter shared, in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

impl Point {
    /// The point if both coordinates are finite and in range (-90..90, -180..180).
    pub fn new(latitude: f64, longitude: f64) -> Option<Point> {
        loket_protocol::ticket::Location::new(latitude, longitude).map(|_| Point { latitude, longitude })
    }
}

/// A field of the draft the summary's buttons change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditField {
    Title,
    Description,
    Category,
    Location,
    Files,
}

impl EditField {
    pub const ALL: [EditField; 5] = [
        EditField::Title,
        EditField::Description,
        EditField::Category,
        EditField::Location,
        EditField::Files,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EditField::Title => "title",
            EditField::Description => "desc",
            EditField::Category => "cat",
            EditField::Location => "loc",
            EditField::Files => "files",
        }
    }

    pub fn parse(code: &str) -> Option<EditField> {
        EditField::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// What a report has collected so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub category_id: Option<i64>,
    #[serde(default)]
    pub category_name: Option<String>,
    #[serde(default)]
    pub files: Vec<PendingFile>,
    /// Where the problem is, if the reporter shared a location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Point>,
}

/// Where a reporter is in the conversation. Each step carries the draft collected so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Dialogue {
    /// No report in progress.
    #[default]
    Idle,
    Title,
    Description {
        draft: Draft,
    },
    Category {
        draft: Draft,
    },
    Attachments {
        draft: Draft,
    },
    Confirm {
        draft: Draft,
        /// The message showing this draft's summary, once sent; only its Send button files the report.
        #[serde(default)]
        summary: Option<i32>,
    },
    /// Changing one field from the summary; then the summary again.
    Edit {
        field: EditField,
        draft: Draft,
    },
    /// The title of a report whose description came first (a report started from a held message).
    SeededTitle {
        draft: Draft,
    },
    /// Not in a report: a message sent without Reply, kept for its buttons. `ticket`: where it was added
    /// (none when the reporter had no open ticket).
    Held {
        text: String,
        #[serde(default)]
        ticket: Option<i64>,
    },
    /// Not in a report: `ticket` was just rated `stars`; the next text is the rating's comment.
    RatingComment {
        ticket: i64,
        stars: u8,
    },
}

/// One thing the reporter did, reduced to what the dialogue needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// `/report`.
    Start,
    /// Plain text.
    Text(String),
    /// A photo or document.
    File(PendingFile),
    /// A category button; `name` as shown.
    Category { id: i64, name: String },
    /// `/done`.
    Done,
    /// `/skip`.
    Skip,
    /// The Send button on the summary message `message` (`None` when Telegram did not say which).
    Send { message: Option<i32> },
    /// The "Start over" button after `/report` in the middle of a report.
    Restart,
    /// The "Keep my draft" button after `/report` in the middle of a report.
    KeepDraft,
    /// `/cancel` or the Cancel button.
    Cancel,
    /// A shared location, as Telegram gave it (not yet checked).
    Location { latitude: f64, longitude: f64 },
    /// A summary button: change this field.
    Edit(EditField),
    /// The "Start a report with this message" button under a held message.
    ReportHeld,
    /// Anything else (a sticker, a stale button).
    Other,
}

/// What the bot should do after a step.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    AskTitle,
    AskDescription,
    /// Show the category keyboard.
    AskCategory,
    AskAttachments,
    FileAdded {
        count: usize,
    },
    FileTooBig,
    TooManyFiles,
    /// A location was added to the draft.
    LocationAdded,
    /// The location's coordinates cannot be right: say so and repeat this step's prompt.
    BadLocation {
        step: Box<Dialogue>,
    },
    /// Ask for the new value of a field (the summary's Edit buttons).
    AskEdit {
        field: EditField,
    },
    /// Store the rating's comment (`None`: the reporter skipped it); the dialogue is back to `Idle`.
    RatingComment {
        ticket: i64,
        stars: u8,
        comment: Option<String>,
    },
    /// Show the summary with Send / Cancel.
    Summary {
        draft: Draft,
    },
    /// The input did not fit: say so and repeat this step's prompt (the summary for `Confirm`).
    Reprompt {
        step: Box<Dialogue>,
    },
    /// `/report` with a draft in progress: ask whether to discard it (the draft stays until answered).
    ConfirmRestart {
        title: String,
    },
    /// "Keep my draft": repeat this step's prompt, without an apology.
    Resume {
        step: Box<Dialogue>,
    },
    /// Send was pressed on an older summary: say so and show the current one.
    StaleSummary {
        step: Box<Dialogue>,
    },
    /// File the ticket; the dialogue is already back to `Idle`.
    Submit {
        draft: Draft,
    },
    Cancelled,
    NothingToCancel,
    /// Not in a report: the input is not for the dialogue.
    NotInDialogue,
}

impl Dialogue {
    /// The next state and what to say, for `input` in this state. `has_categories`: whether the category
    /// step is shown at all.
    pub fn step(self, input: Input, has_categories: bool) -> (Dialogue, Reply) {
        use Dialogue as D;
        match (self, input) {
            // After a rating: text is its comment; /skip (or /done, /cancel) leaves it without one.
            (D::RatingComment { ticket, stars }, Input::Text(text)) if usable(&text, usize::MAX) => {
                let comment = Some(text.trim().to_string());
                (D::Idle, Reply::RatingComment { ticket, stars, comment })
            }
            (D::RatingComment { ticket, stars }, Input::Skip | Input::Done | Input::Cancel) => {
                let comment = None;
                (D::Idle, Reply::RatingComment { ticket, stars, comment })
            }
            (D::Held { text, .. }, Input::ReportHeld) => {
                let draft = Draft {
                    description: text,
                    ..Draft::default()
                };
                (D::SeededTitle { draft }, Reply::AskTitle)
            }
            // Held messages and ratings are not reports: anything else is as if idle.
            (D::Held { .. } | D::RatingComment { .. }, input) => D::Idle.step(input, has_categories),
            (state, Input::Start) => match state.draft() {
                // Nothing collected yet: starting again loses nothing.
                None => (D::Title, Reply::AskTitle),
                Some(draft) => {
                    let title = draft.title.clone();
                    (state, Reply::ConfirmRestart { title })
                }
            },
            (D::Idle, Input::Cancel) => (D::Idle, Reply::NothingToCancel),
            (_, Input::Cancel) => (D::Idle, Reply::Cancelled),
            (D::Idle, _) => (D::Idle, Reply::NotInDialogue),
            (_, Input::Restart) => (D::Title, Reply::AskTitle),
            (state, Input::KeepDraft) => (state.clone(), Reply::Resume { step: Box::new(state) }),

            (D::Title, Input::Text(text)) if usable(&one_line(&text), MAX_TITLE_CHARS) => {
                let draft = Draft {
                    title: one_line(&text),
                    ..Draft::default()
                };
                (D::Description { draft }, Reply::AskDescription)
            }
            (D::Description { mut draft }, Input::Text(text)) if usable(&text, usize::MAX) => {
                draft.description = text.trim().to_string();
                after_description(draft, has_categories)
            }
            (D::SeededTitle { mut draft }, Input::Text(text)) if usable(&one_line(&text), MAX_TITLE_CHARS) => {
                draft.title = one_line(&text);
                after_description(draft, has_categories)
            }
            (D::Attachments { mut draft }, Input::Location { latitude, longitude }) => {
                match Point::new(latitude, longitude) {
                    Some(point) => {
                        draft.location = Some(point);
                        (D::Attachments { draft }, Reply::LocationAdded)
                    }
                    None => {
                        let state = D::Attachments { draft };
                        (state.clone(), Reply::BadLocation { step: Box::new(state) })
                    }
                }
            }
            (D::Confirm { draft, .. }, Input::Edit(EditField::Files)) => {
                (D::Attachments { draft }, Reply::AskAttachments)
            }
            (D::Confirm { draft, .. }, Input::Edit(field)) => (D::Edit { field, draft }, Reply::AskEdit { field }),
            (D::Edit { field, mut draft }, input) => match (field, input) {
                (EditField::Title, Input::Text(text)) if usable(&one_line(&text), MAX_TITLE_CHARS) => {
                    draft.title = one_line(&text);
                    confirm(draft)
                }
                (EditField::Description, Input::Text(text)) if usable(&text, usize::MAX) => {
                    draft.description = text.trim().to_string();
                    confirm(draft)
                }
                (EditField::Category, Input::Category { id, name }) => {
                    draft.category_id = Some(id);
                    draft.category_name = Some(name);
                    confirm(draft)
                }
                (EditField::Category | EditField::Location, Input::Skip) => {
                    if field == EditField::Category {
                        draft.category_id = None;
                        draft.category_name = None;
                    } else {
                        draft.location = None;
                    }
                    confirm(draft)
                }
                (EditField::Location, Input::Location { latitude, longitude }) => match Point::new(latitude, longitude)
                {
                    Some(point) => {
                        draft.location = Some(point);
                        confirm(draft)
                    }
                    None => {
                        let state = D::Edit { field, draft };
                        (state.clone(), Reply::BadLocation { step: Box::new(state) })
                    }
                },
                // Done with nothing changed: the summary as it was.
                (_, Input::Done) => confirm(draft),
                (_, _) => {
                    let state = D::Edit { field, draft };
                    (state.clone(), Reply::Reprompt { step: Box::new(state) })
                }
            },
            (D::Category { mut draft }, Input::Category { id, name }) => {
                draft.category_id = Some(id);
                draft.category_name = Some(name);
                (D::Attachments { draft }, Reply::AskAttachments)
            }
            (D::Attachments { mut draft }, Input::File(file)) => {
                if file.size > MAX_FILE_BYTES {
                    (D::Attachments { draft }, Reply::FileTooBig)
                } else if draft.files.len() >= MAX_FILES {
                    (D::Attachments { draft }, Reply::TooManyFiles)
                } else {
                    draft.files.push(file);
                    let count = draft.files.len();
                    (D::Attachments { draft }, Reply::FileAdded { count })
                }
            }
            (D::Attachments { draft }, Input::Done) => confirm(draft),
            (D::Attachments { mut draft }, Input::Skip) => {
                draft.files.clear();
                confirm(draft)
            }
            (D::Confirm { draft, summary }, Input::Send { message }) => match (summary, message) {
                (Some(current), Some(pressed)) if current != pressed => {
                    let state = D::Confirm { draft, summary };
                    (state.clone(), Reply::StaleSummary { step: Box::new(state) })
                }
                _ => (D::Idle, Reply::Submit { draft }),
            },
            (state, _) => (state.clone(), Reply::Reprompt { step: Box::new(state) }),
        }
    }

    /// The draft collected so far, if this step has one.
    pub fn draft(&self) -> Option<&Draft> {
        match self {
            Dialogue::Idle | Dialogue::Title | Dialogue::Held { .. } | Dialogue::RatingComment { .. } => None,
            Dialogue::Description { draft }
            | Dialogue::Category { draft }
            | Dialogue::Attachments { draft }
            | Dialogue::Confirm { draft, .. }
            | Dialogue::Edit { draft, .. }
            | Dialogue::SeededTitle { draft } => Some(draft),
        }
    }

    /// This state, remembering that its summary was shown as message `id` (only for `Confirm`).
    pub fn with_summary(self, id: i32) -> Dialogue {
        match self {
            Dialogue::Confirm { draft, .. } => Dialogue::Confirm {
                draft,
                summary: Some(id),
            },
            other => other,
        }
    }

    /// Whether a report is being written (held messages and rating comments are not reports).
    pub fn in_report(&self) -> bool {
        self.draft().is_some() || *self == Dialogue::Title
    }
}

/// After the description (or a seeded report's title): the category if there are any, else attachments.
fn after_description(draft: Draft, has_categories: bool) -> (Dialogue, Reply) {
    if has_categories {
        (Dialogue::Category { draft }, Reply::AskCategory)
    } else {
        (Dialogue::Attachments { draft }, Reply::AskAttachments)
    }
}

fn confirm(draft: Draft) -> (Dialogue, Reply) {
    let state = Dialogue::Confirm {
        draft: draft.clone(),
        summary: None,
    };
    (state, Reply::Summary { draft })
}

/// `text` as one line: runs of whitespace, line breaks included, become one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn usable(text: &str, max_chars: usize) -> bool {
    let text = text.trim();
    !text.is_empty() && !text.starts_with('/') && text.chars().count() <= max_chars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(size: u32) -> PendingFile {
        PendingFile {
            file_id: "f1".into(),
            file_name: "photo.jpg".into(),
            content_type: "image/jpeg".into(),
            size,
        }
    }

    fn run(inputs: Vec<Input>, has_categories: bool) -> (Dialogue, Vec<Reply>) {
        let mut state = Dialogue::Idle;
        let mut replies = Vec::new();
        for input in inputs {
            let (next, reply) = state.step(input, has_categories);
            state = next;
            replies.push(reply);
        }
        (state, replies)
    }

    #[test]
    fn a_whole_report_collects_everything_then_submits() {
        let (state, replies) = run(
            vec![
                Input::Start,
                Input::Text("Street light out".into()),
                Input::Text("Dark since Monday".into()),
                Input::Category {
                    id: 3,
                    name: "Lighting".into(),
                },
                Input::File(photo(1000)),
                Input::Done,
                Input::Send { message: None },
            ],
            true,
        );
        assert_eq!(state, Dialogue::Idle);
        let Reply::Submit { draft } = replies.last().unwrap().clone() else {
            panic!("{replies:?}")
        };
        assert_eq!(draft.title, "Street light out");
        assert_eq!(draft.description, "Dark since Monday");
        assert_eq!(draft.category_id, Some(3));
        assert_eq!(draft.files.len(), 1);
        assert_eq!(replies[4], Reply::FileAdded { count: 1 });
    }

    #[test]
    fn without_categories_the_step_is_skipped() {
        let (state, replies) = run(
            vec![Input::Start, Input::Text("T".into()), Input::Text("D".into())],
            false,
        );
        assert!(matches!(state, Dialogue::Attachments { .. }));
        assert_eq!(replies[2], Reply::AskAttachments);
    }

    #[test]
    fn bad_input_reprompts_and_keeps_the_draft() {
        let (state, _) = run(vec![Input::Start, Input::Text("Pothole".into())], true);
        let (state, reply) = state.step(Input::Text("x".into()), true);
        // A command where a category button is expected, then a Send button from an old summary.
        let (state, reply2) = state.step(Input::Text("/weird".into()), true);
        assert!(matches!(reply, Reply::AskCategory), "description accepted: {reply:?}");
        assert!(matches!(reply2, Reply::Reprompt { .. }));
        let (state, reply3) = state.step(Input::Send { message: Some(7) }, true);
        assert!(matches!(reply3, Reply::Reprompt { ref step } if **step == state));
        match state {
            Dialogue::Category { draft } => {
                assert_eq!((draft.title.as_str(), draft.description.as_str()), ("Pothole", "x"))
            }
            other => panic!("{other:?}"),
        }
        // An empty title is not a title.
        let (state, reply) = Dialogue::Title.step(Input::Text("   ".into()), true);
        assert_eq!(state, Dialogue::Title);
        assert!(matches!(reply, Reply::Reprompt { .. }));
    }

    #[test]
    fn cancel_works_at_every_step_and_big_files_are_refused() {
        let steps = [
            Dialogue::Title,
            Dialogue::Description {
                draft: Draft::default(),
            },
            Dialogue::Category {
                draft: Draft::default(),
            },
            Dialogue::Attachments {
                draft: Draft::default(),
            },
            Dialogue::Confirm {
                draft: Draft::default(),
                summary: None,
            },
        ];
        for step in steps {
            assert_eq!(step.step(Input::Cancel, true), (Dialogue::Idle, Reply::Cancelled));
        }
        assert_eq!(Dialogue::Idle.step(Input::Cancel, true).1, Reply::NothingToCancel);
        let (state, reply) = Dialogue::Attachments {
            draft: Draft::default(),
        }
        .step(Input::File(photo(MAX_FILE_BYTES + 1)), true);
        assert_eq!(reply, Reply::FileTooBig);
        assert_eq!(
            state,
            Dialogue::Attachments {
                draft: Draft::default()
            }
        );
        let (state, reply) = state.step(Input::Skip, true);
        assert!(matches!(reply, Reply::Summary { .. }));
        assert!(matches!(state, Dialogue::Confirm { .. }));
    }

    fn draft(title: &str) -> Draft {
        Draft {
            title: title.into(),
            description: "D".into(),
            ..Draft::default()
        }
    }

    #[test]
    fn a_multi_line_title_becomes_one_line() {
        let (state, reply) = Dialogue::Title.step(Input::Text("Lampu jalan mati\n di  Jl. Merdeka\n".into()), true);
        assert_eq!(reply, Reply::AskDescription);
        assert_eq!(
            state.draft().map(|d| d.title.as_str()),
            Some("Lampu jalan mati di Jl. Merdeka")
        );
        // Still too long once joined: re-prompted, nothing kept.
        let long = format!("{}\n{}", "a".repeat(150), "b".repeat(100));
        let (state, reply) = Dialogue::Title.step(Input::Text(long), true);
        assert_eq!(state, Dialogue::Title);
        assert!(matches!(reply, Reply::Reprompt { .. }));
    }

    #[test]
    fn report_in_the_middle_of_a_report_asks_before_discarding() {
        let writing = Dialogue::Attachments {
            draft: draft("Pothole"),
        };
        let (state, reply) = writing.clone().step(Input::Start, true);
        assert_eq!(state, writing, "the draft stays until the reporter answers");
        assert_eq!(
            reply,
            Reply::ConfirmRestart {
                title: "Pothole".into()
            }
        );
        let (kept, reply) = state.clone().step(Input::KeepDraft, true);
        assert_eq!(kept, writing);
        assert_eq!(
            reply,
            Reply::Resume {
                step: Box::new(writing.clone())
            }
        );
        let (fresh, reply) = state.step(Input::Restart, true);
        assert_eq!((fresh, reply), (Dialogue::Title, Reply::AskTitle));
        // Before anything is collected, /report simply starts again.
        assert_eq!(
            Dialogue::Title.step(Input::Start, true),
            (Dialogue::Title, Reply::AskTitle)
        );
        assert_eq!(
            Dialogue::Idle.step(Input::Start, true),
            (Dialogue::Title, Reply::AskTitle)
        );
    }

    #[test]
    fn only_the_newest_summary_files_the_report() {
        let (state, reply) = Dialogue::Attachments { draft: draft("Old") }.step(Input::Done, true);
        assert!(matches!(reply, Reply::Summary { .. }));
        let shown = state.with_summary(41);
        let (state, reply) = shown.clone().step(Input::Send { message: Some(40) }, true);
        assert_eq!(state, shown, "an old summary's Send changes nothing");
        assert_eq!(
            reply,
            Reply::StaleSummary {
                step: Box::new(shown.clone())
            }
        );
        let (state, reply) = state.step(Input::Send { message: Some(41) }, true);
        assert_eq!(state, Dialogue::Idle);
        assert_eq!(reply, Reply::Submit { draft: draft("Old") });
        // A summary stored before message ids were kept still works.
        let legacy = Dialogue::Confirm {
            draft: draft("L"),
            summary: None,
        };
        assert!(matches!(
            legacy.step(Input::Send { message: Some(9) }, true).1,
            Reply::Submit { .. }
        ));
    }

    #[test]
    fn the_summary_edits_one_field_and_comes_back() {
        let shown = confirm(draft("Old")).0.with_summary(7);
        let (state, reply) = shown.step(Input::Edit(EditField::Title), true);
        assert_eq!(
            reply,
            Reply::AskEdit {
                field: EditField::Title
            }
        );
        // Not a title: asked again, nothing lost.
        let (state, reply) = state.step(Input::File(photo(1)), true);
        assert!(matches!(reply, Reply::Reprompt { .. }));
        let (state, reply) = state.step(Input::Text("New\n title".into()), true);
        let Reply::Summary { draft: edited } = reply else {
            panic!("{reply:?}")
        };
        assert_eq!((edited.title.as_str(), edited.description.as_str()), ("New title", "D"));
        // A location: impossible coordinates are refused, /skip removes it.
        let (state, _) = state.step(Input::Edit(EditField::Location), true);
        let (state, reply) = state.step(
            Input::Location {
                latitude: 91.0,
                longitude: 0.0,
            },
            true,
        );
        assert!(matches!(reply, Reply::BadLocation { .. }));
        let (state, reply) = state.step(
            Input::Location {
                latitude: -6.2,
                longitude: 106.8,
            },
            true,
        );
        assert!(matches!(reply, Reply::Summary { ref draft } if draft.location.is_some()));
        let (state, _) = state.step(Input::Edit(EditField::Location), true);
        let (_, reply) = state.step(Input::Skip, true);
        assert!(matches!(reply, Reply::Summary { ref draft } if draft.location.is_none()));
    }

    #[test]
    fn a_held_message_becomes_a_report_and_a_rating_takes_one_comment() {
        let held = Dialogue::Held {
            text: "Bins not collected".into(),
            ticket: None,
        };
        let (state, reply) = held.clone().step(Input::ReportHeld, false);
        assert_eq!(reply, Reply::AskTitle);
        let (state, reply) = state.step(Input::Text("Bins".into()), false);
        assert_eq!(reply, Reply::AskAttachments);
        assert_eq!(
            state.draft().map(|d| d.description.as_str()),
            Some("Bins not collected")
        );
        // Anything else while held is as if idle.
        assert_eq!(
            held.step(Input::Text("hi".into()), false),
            (Dialogue::Idle, Reply::NotInDialogue)
        );
        let rating = Dialogue::RatingComment { ticket: 3, stars: 4 };
        assert!(!rating.in_report());
        assert_eq!(
            rating.clone().step(Input::Text(" Quick ".into()), false).1,
            Reply::RatingComment {
                ticket: 3,
                stars: 4,
                comment: Some("Quick".into())
            }
        );
        assert_eq!(
            rating.step(Input::Skip, false),
            (
                Dialogue::Idle,
                Reply::RatingComment {
                    ticket: 3,
                    stars: 4,
                    comment: None
                }
            )
        );
    }

    #[test]
    fn the_state_survives_json() {
        let state = Dialogue::Attachments {
            draft: Draft {
                title: "T".into(),
                description: "D".into(),
                category_id: Some(1),
                category_name: Some("Roads".into()),
                files: vec![photo(5)],
                location: Point::new(-6.2, 106.8),
            },
        };
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["step"], "attachments");
        assert_eq!(serde_json::from_value::<Dialogue>(json).unwrap(), state);
    }
}
