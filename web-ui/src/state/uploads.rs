//! The files attached in the reply composer before it is sent: each uploaded at once (over REST), shown as
//! a chip while it uploads, once it is on the server, or with why it failed; the reply names the uploaded
//! ones. A chip removed before sending leaves its upload on the ticket as a file agents see.

use loket_protocol::AttachmentId;
use loket_protocol::ticket::Attachment;
use std::rc::Rc;
use yew::Reducible;

/// Largest file an upload may be: the server's limit for every attachment (`MAX_ATTACHMENT_BYTES`,
/// 20 MiB), checked here too so a file too big is refused at once instead of after uploading it.
pub const MAX_UPLOAD_BYTES: f64 = 20.0 * 1024.0 * 1024.0;

/// Where one file is.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadState {
    Uploading,
    /// On the server, waiting for the reply to name it.
    Done(Attachment),
    /// Not uploaded, and why (said so the agent knows what to do).
    Failed(String),
}

/// One file in the composer.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// This composer's own number for it (the server's id comes with [`UploadState::Done`]).
    pub local: u32,
    pub name: String,
    pub size: f64,
    pub state: UploadState,
}

/// The composer's files, in the order they were chosen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Uploads {
    pub items: Vec<Upload>,
}

#[derive(Debug, Clone)]
pub enum UploadAction {
    /// A file was chosen: uploading, or refused at once with a reason.
    Chosen {
        local: u32,
        name: String,
        size: f64,
        refused: Option<String>,
    },
    Finished {
        local: u32,
        result: Result<Attachment, String>,
    },
    Removed(u32),
    /// The reply was sent with them.
    Sent,
}

impl Uploads {
    pub fn apply(&mut self, action: UploadAction) {
        match action {
            UploadAction::Chosen {
                local,
                name,
                size,
                refused,
            } => self.items.push(Upload {
                local,
                name,
                size,
                state: refused.map_or(UploadState::Uploading, UploadState::Failed),
            }),
            UploadAction::Finished { local, result } => {
                // A chip removed while uploading stays removed.
                if let Some(item) = self.items.iter_mut().find(|u| u.local == local) {
                    item.state = match result {
                        Ok(attachment) => UploadState::Done(attachment),
                        Err(why) => UploadState::Failed(why),
                    };
                }
            }
            UploadAction::Removed(local) => self.items.retain(|u| u.local != local),
            UploadAction::Sent => self.items.clear(),
        }
    }

    /// The uploaded files' ids, for the reply's `attachments`.
    pub fn ids(&self) -> Vec<AttachmentId> {
        self.items
            .iter()
            .filter_map(|u| match &u.state {
                UploadState::Done(a) => Some(a.id),
                _ => None,
            })
            .collect()
    }

    /// Why the reply cannot be sent yet, if it cannot: a file still uploading, or one that failed (the
    /// agent removes it, so a reply never goes out silently without a file they meant to send).
    pub fn blocking(&self) -> Option<&'static str> {
        if self.items.iter().any(|u| u.state == UploadState::Uploading) {
            Some("Waiting for the files to upload…")
        } else if self.items.iter().any(|u| matches!(u.state, UploadState::Failed(_))) {
            Some("Remove the files that could not be uploaded before sending.")
        } else {
            None
        }
    }
}

/// Why a file of `size` bytes is refused before uploading, if it is.
pub fn refuse_before_upload(name: &str, size: f64) -> Option<String> {
    if size <= 0.0 {
        Some(format!("{name} is empty. Choose the file again."))
    } else if size > MAX_UPLOAD_BYTES {
        Some(format!(
            "{name} is larger than 20 MB, the most a file may be. Send a smaller one (a photo at a lower size, say)."
        ))
    } else {
        None
    }
}

impl Reducible for Uploads {
    type Action = UploadAction;

    fn reduce(self: Rc<Self>, action: UploadAction) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fixtures::at;
    use loket_protocol::TicketId;

    fn attachment(id: i64) -> Attachment {
        Attachment {
            id: AttachmentId(id),
            ticket_id: TicketId(1),
            file_name: format!("f{id}.jpg"),
            content_type: "image/jpeg".into(),
            size_bytes: 10,
            url: format!("/api/attachments/{id}"),
            created_at: at(0),
            comment_id: None,
        }
    }

    fn chosen(local: u32) -> UploadAction {
        UploadAction::Chosen {
            local,
            name: format!("f{local}.jpg"),
            size: 10.0,
            refused: None,
        }
    }

    #[test]
    fn a_reply_waits_for_its_uploads_and_names_only_those_on_the_server() {
        let mut files = Uploads::default();
        files.apply(chosen(1));
        files.apply(chosen(2));
        assert!(files.blocking().is_some(), "still uploading");
        files.apply(UploadAction::Finished {
            local: 2,
            result: Ok(attachment(20)),
        });
        files.apply(UploadAction::Finished {
            local: 1,
            result: Err("no".into()),
        });
        assert_eq!(
            files.blocking(),
            Some("Remove the files that could not be uploaded before sending.")
        );
        files.apply(UploadAction::Removed(1));
        assert_eq!(files.blocking(), None);
        assert_eq!(files.ids(), vec![AttachmentId(20)]);
        // Removed while uploading: its late answer does not bring it back.
        files.apply(chosen(3));
        files.apply(UploadAction::Removed(3));
        files.apply(UploadAction::Finished {
            local: 3,
            result: Ok(attachment(30)),
        });
        assert_eq!(files.ids(), vec![AttachmentId(20)]);
        files.apply(UploadAction::Sent);
        assert!(files.items.is_empty());
    }

    #[test]
    fn files_too_big_or_empty_are_refused_before_uploading() {
        assert!(refuse_before_upload("a.jpg", 0.0).unwrap().contains("empty"));
        assert!(
            refuse_before_upload("a.mp4", MAX_UPLOAD_BYTES + 1.0)
                .unwrap()
                .contains("20 MB")
        );
        assert_eq!(refuse_before_upload("a.jpg", MAX_UPLOAD_BYTES), None);
        let mut files = Uploads::default();
        files.apply(UploadAction::Chosen {
            local: 1,
            name: "a.mp4".into(),
            size: MAX_UPLOAD_BYTES + 1.0,
            refused: refuse_before_upload("a.mp4", MAX_UPLOAD_BYTES + 1.0),
        });
        assert!(matches!(files.items[0].state, UploadState::Failed(_)));
    }
}
