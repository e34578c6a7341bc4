//! Every text the bot sends, in English and Indonesian, in one place.

use loket_core::reporting::CodeRefusal;
use loket_protocol::ticket::Status;

/// A language the bot speaks: the reporter's language as the core stores it.
pub use loket_core::reporting::Language as Lang;

/// A status as reporters read it.
pub fn status_name(lang: Lang, status: Status) -> &'static str {
    match (lang, status) {
        (Lang::En, Status::New) => "received",
        (Lang::En, Status::Open) => "being worked on",
        (Lang::En, Status::Pending) => "waiting",
        (Lang::En, Status::Resolved) => "resolved",
        (Lang::En, Status::Closed) => "closed",
        (Lang::Id, Status::New) => "diterima",
        (Lang::Id, Status::Open) => "sedang ditangani",
        (Lang::Id, Status::Pending) => "menunggu",
        (Lang::Id, Status::Resolved) => "selesai",
        (Lang::Id, Status::Closed) => "ditutup",
    }
}

/// Told to the reporter when an agent moves their ticket.
pub fn status_changed(lang: Lang, key: &str, title: &str, status: Status) -> String {
    let name = status_name(lang, status);
    let head = match lang {
        Lang::En => format!("Your report {key} \u{201c}{title}\u{201d} is now: {name}."),
        Lang::Id => format!("Laporan Anda {key} \u{201c}{title}\u{201d} sekarang: {name}."),
    };
    if status == Status::Resolved {
        format!("{head}\n\n{}", ask_rating(lang))
    } else {
        head
    }
}

/// Under a "resolved" notice, with the 1 to 5 buttons.
pub fn ask_rating(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "How satisfied are you with how it was handled? Tap 1 (poor) to 5 (excellent). If the problem is still there, reply to this message instead and the report will be reopened."
        }
        Lang::Id => {
            "Seberapa puas Anda dengan penanganannya? Ketuk 1 (buruk) sampai 5 (sangat baik). Bila masalahnya masih ada, balas pesan ini dan laporan akan dibuka kembali."
        }
    }
}

/// What `/status` says a status means for the reporter: whether anything is expected of them.
/// `awaiting_reporter`: the last public message is the desk's (so a waiting ticket waits for them).
pub fn status_expectation(lang: Lang, status: Status, awaiting_reporter: bool) -> &'static str {
    match (lang, status, awaiting_reporter) {
        (Lang::En, Status::New, _) => "Received; the team will pick it up soon. Nothing is needed from you.",
        (Lang::En, Status::Open, _) => "Being worked on by the team. Nothing is needed from you for now.",
        (Lang::En, Status::Pending, true) => {
            "Waiting for your answer: the team asked you something. Please reply to their message (or to this one)."
        }
        (Lang::En, Status::Pending, false) => {
            "Waiting for a third party or further information. Nothing is needed from you right now."
        }
        (Lang::En, Status::Resolved, _) => {
            "Resolved. If the problem is still there, reply to this message and the report will be reopened."
        }
        (Lang::En, Status::Closed, _) => "Closed. If you need it again, reply to this message.",
        (Lang::Id, Status::New, _) => "Diterima; tim akan segera menanganinya. Tidak ada yang perlu Anda lakukan.",
        (Lang::Id, Status::Open, _) => "Sedang ditangani tim. Untuk saat ini tidak ada yang perlu Anda lakukan.",
        (Lang::Id, Status::Pending, true) => {
            "Menunggu jawaban Anda: tim menanyakan sesuatu kepada Anda. Silakan balas pesan mereka (atau pesan ini)."
        }
        (Lang::Id, Status::Pending, false) => {
            "Menunggu pihak lain atau keterangan tambahan. Saat ini tidak ada yang perlu Anda lakukan."
        }
        (Lang::Id, Status::Resolved, _) => {
            "Selesai. Bila masalahnya masih ada, balas pesan ini dan laporan akan dibuka kembali."
        }
        (Lang::Id, Status::Closed, _) => "Ditutup. Bila Anda masih memerlukannya, balas pesan ini.",
    }
}

/// Who replied, as the reporter is told when the agent set no public name: the desk, never an account.
pub fn desk_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => loket_protocol::canned::DESK_NAME_EN,
        Lang::Id => loket_protocol::canned::DESK_NAME_ID,
    }
}

/// An agent's public reply, quoted for the reporter, under the agent's public name (`agent`) or the
/// desk's.
pub fn agent_reply(lang: Lang, key: &str, agent: Option<&str>, body: &str) -> String {
    let agent = agent.unwrap_or(desk_name(lang));
    match lang {
        Lang::En => format!("{agent} replied to your report {key}:\n\n{body}\n\nReply to this message to answer."),
        Lang::Id => format!("{agent} membalas laporan Anda {key}:\n\n{body}\n\nBalas pesan ini untuk menjawab."),
    }
}

/// The reporter's report `key` was a duplicate and was merged into `into_key` (“`into_title`”): that
/// ticket carries their report now, and replies go there.
pub fn merged(lang: Lang, key: &str, into_key: &str, into_title: &str) -> String {
    match lang {
        Lang::En => format!(
            "Your report {key} describes the same problem as report {into_key} \u{201c}{into_title}\u{201d}, so we have merged the two: {into_key} now carries your report and your messages, and {key} is closed.\n\nNothing is needed from you. To add something, reply to this message; to follow it, send /status {into_key}."
        ),
        Lang::Id => format!(
            "Laporan Anda {key} menyangkut masalah yang sama dengan laporan {into_key} \u{201c}{into_title}\u{201d}, sehingga keduanya kami gabungkan: {into_key} kini memuat laporan dan pesan Anda, dan {key} ditutup.\n\nAnda tidak perlu melakukan apa pun. Untuk menambahkan sesuatu, balas pesan ini; untuk memantaunya, kirim /status {into_key}."
        ),
    }
}

/// The command menu registered with Telegram (`setMyCommands`): command and description.
pub fn command_menu(lang: Lang) -> [(&'static str, &'static str); 7] {
    match lang {
        Lang::En => [
            ("report", "Report a problem"),
            ("mytickets", "Your reports"),
            ("status", "Status of a report, e.g. /status TKT-0042"),
            ("cancel", "Stop the current report"),
            ("lang", "Language: English or Indonesian"),
            ("help", "What this bot can do"),
            ("start", "Register with an invite code"),
        ],
        Lang::Id => [
            ("report", "Laporkan masalah"),
            ("mytickets", "Laporan Anda"),
            ("status", "Status laporan, mis. /status TKT-0042"),
            ("cancel", "Hentikan laporan yang sedang dibuat"),
            ("lang", "Bahasa: Inggris atau Indonesia"),
            ("help", "Apa yang bisa dilakukan bot ini"),
            ("start", "Daftar dengan kode undangan"),
        ],
    }
}

/// `/help`.
pub fn help(lang: Lang) -> String {
    let intro = match lang {
        Lang::En => "I pass your reports to the support team and tell you when they move.",
        Lang::Id => "Saya meneruskan laporan Anda ke tim layanan dan mengabari Anda setiap ada perkembangan.",
    };
    let reply = match lang {
        Lang::En => "Reply to any of my messages about a report to add to it.",
        Lang::Id => "Balas pesan saya tentang sebuah laporan untuk menambahkan keterangan.",
    };
    let commands: Vec<String> = command_menu(lang)
        .iter()
        .map(|(command, what)| format!("/{command} \u{2014} {what}"))
        .collect();
    format!("{intro}\n\n{}\n\n{reply}", commands.join("\n"))
}

/// `/start` without a code.
pub fn ask_code(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Welcome! To register, send /start followed by your invite code, or just send the code.",
        Lang::Id => {
            "Selamat datang! Untuk mendaftar, kirim /start diikuti kode undangan Anda, atau kirim kodenya saja."
        }
    }
}

/// Anything from someone who has not registered yet.
pub fn register_first(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Please register first: send /start followed by your invite code.",
        Lang::Id => "Silakan daftar dulu: kirim /start diikuti kode undangan Anda.",
    }
}

/// A successful registration.
pub fn welcome(lang: Lang, name: &str) -> String {
    match lang {
        Lang::En => format!(
            "Welcome, {name}! You are registered. Send /report to report a problem, or /help to see what I can do."
        ),
        Lang::Id => format!(
            "Selamat datang, {name}! Anda sudah terdaftar. Kirim /report untuk melaporkan masalah, atau /help untuk bantuan."
        ),
    }
}

/// `/start` from someone already registered.
pub fn already_registered(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "You are already registered. Send /report to report a problem.",
        Lang::Id => "Anda sudah terdaftar. Kirim /report untuk melaporkan masalah.",
    }
}

/// An invite code that cannot be redeemed.
pub fn code_refused(lang: Lang, why: CodeRefusal) -> &'static str {
    match (lang, why) {
        (Lang::En, CodeRefusal::Unknown) => "I do not know this invite code. Please check it and try again.",
        (Lang::En, CodeRefusal::Revoked) => "This invite code has been withdrawn. Please ask for a new one.",
        (Lang::En, CodeRefusal::Expired) => "This invite code has expired. Please ask for a new one.",
        (Lang::En, CodeRefusal::UsedUp) => "This invite code has already been used up. Please ask for a new one.",
        (Lang::Id, CodeRefusal::Unknown) => "Kode undangan ini tidak dikenal. Periksa lagi dan coba kembali.",
        (Lang::Id, CodeRefusal::Revoked) => "Kode undangan ini sudah dicabut. Silakan minta kode baru.",
        (Lang::Id, CodeRefusal::Expired) => "Kode undangan ini sudah kedaluwarsa. Silakan minta kode baru.",
        (Lang::Id, CodeRefusal::UsedUp) => "Kode undangan ini sudah habis dipakai. Silakan minta kode baru.",
    }
}

/// First step of `/report`.
pub fn ask_title(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "What is the problem, in a few words? (/cancel to stop)",
        Lang::Id => "Apa masalahnya, dalam beberapa kata? (/cancel untuk berhenti)",
    }
}

/// Second step.
pub fn ask_description(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Please describe it: where, since when, what you see.",
        Lang::Id => "Tolong jelaskan: di mana, sejak kapan, apa yang terlihat.",
    }
}

/// Third step (with the category keyboard).
pub fn ask_category(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Which category fits best? Tap one.",
        Lang::Id => "Kategori mana yang paling sesuai? Pilih salah satu.",
    }
}

/// Fourth step.
pub fn ask_attachments(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Send photos or documents if you have any, and share the location if it helps (attachment menu \u{1f4ce}, Location). Then /done, or /skip for none."
        }
        Lang::Id => {
            "Kirim foto atau dokumen bila ada, dan bagikan lokasi bila membantu (menu lampiran \u{1f4ce}, Lokasi). Lalu /done, atau /skip bila tidak ada."
        }
    }
}

/// A file was added to the draft.
pub fn file_added(lang: Lang, count: usize) -> String {
    match lang {
        Lang::En => format!("Got it ({count} file(s)). Send more, or /done."),
        Lang::Id => format!("Diterima ({count} berkas). Kirim lagi, atau /done."),
    }
}

/// A file over the size limit.
pub fn file_too_big(lang: Lang, limit_mb: u32) -> String {
    match lang {
        Lang::En => format!("That file is too big (the limit is {limit_mb} MB). Send a smaller one, or /done."),
        Lang::Id => format!("Berkas itu terlalu besar (batasnya {limit_mb} MB). Kirim yang lebih kecil, atau /done."),
    }
}

/// Too many files on one report.
pub fn too_many_files(lang: Lang, limit: usize) -> String {
    match lang {
        Lang::En => format!("That is the most I can take ({limit} files). Send /done to continue."),
        Lang::Id => format!("Itu batas maksimal ({limit} berkas). Kirim /done untuk lanjut."),
    }
}

/// A step of the conversation, as far as a re-prompt needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Title,
    Description,
    Category,
    Attachments,
    Summary,
    EditTitle,
    EditDescription,
    EditCategory,
    EditLocation,
    RatingComment,
}

/// Input that did not fit `step`: what exactly is needed there and how to give it. The step's prompt
/// (with its buttons) follows.
pub fn reprompt(lang: Lang, step: Step) -> String {
    let max = crate::dialogue::MAX_TITLE_CHARS;
    match (lang, step) {
        (Lang::En, Step::Title | Step::EditTitle) => format!(
            "I need the title as a short text message: at most {max} characters, not starting with \u{201c}/\u{201d}. For example: Street light out on Jl. Merdeka."
        ),
        (Lang::En, Step::Description | Step::EditDescription) => {
            "I need the description as a text message (not a photo, sticker or command). Photos and documents come in the next step.".into()
        }
        (Lang::En, Step::Category | Step::EditCategory) => {
            "Please choose the category by tapping one of the buttons below; typing its name does not work here.".into()
        }
        (Lang::En, Step::Attachments) => {
            "Here I take photos, documents or a location (attachment menu \u{1f4ce}, then Location). Send /done when you have finished, or /skip to send none.".into()
        }
        (Lang::En, Step::Summary) => {
            "Your report is ready. Please use the buttons below the summary: Send to file it, Cancel to drop it, or an Edit button to change one part.".into()
        }
        (Lang::En, Step::EditLocation) => {
            "I need a location here: open the attachment menu \u{1f4ce}, choose Location and send it. Send /skip to remove the location, or /done to keep it as it is.".into()
        }
        (Lang::En, Step::RatingComment) => {
            "I need your comment as a text message. Send /skip if you do not want to add one.".into()
        }
        (Lang::Id, Step::Title | Step::EditTitle) => format!(
            "Saya memerlukan judul berupa pesan teks singkat: paling banyak {max} karakter, tidak diawali \u{201c}/\u{201d}. Contoh: Lampu jalan mati di Jl. Merdeka."
        ),
        (Lang::Id, Step::Description | Step::EditDescription) => {
            "Saya memerlukan keterangan berupa pesan teks (bukan foto, stiker, atau perintah). Foto dan dokumen dikirim pada langkah berikutnya.".into()
        }
        (Lang::Id, Step::Category | Step::EditCategory) => {
            "Silakan pilih kategori dengan mengetuk salah satu tombol di bawah; mengetik namanya tidak dapat dipakai di sini.".into()
        }
        (Lang::Id, Step::Attachments) => {
            "Di langkah ini saya menerima foto, dokumen, atau lokasi (menu lampiran \u{1f4ce}, lalu Lokasi). Kirim /done bila sudah selesai, atau /skip bila tidak ada.".into()
        }
        (Lang::Id, Step::Summary) => {
            "Laporan Anda sudah siap. Silakan gunakan tombol di bawah ringkasan: Kirim untuk mengirimkannya, Batal untuk membatalkannya, atau tombol Ubah untuk mengganti satu bagian.".into()
        }
        (Lang::Id, Step::EditLocation) => {
            "Saya memerlukan lokasi di sini: buka menu lampiran \u{1f4ce}, pilih Lokasi, lalu kirim. Kirim /skip untuk menghapus lokasi, atau /done untuk membiarkannya.".into()
        }
        (Lang::Id, Step::RatingComment) => {
            "Saya memerlukan komentar Anda berupa pesan teks. Kirim /skip bila Anda tidak ingin menambahkannya.".into()
        }
    }
}

/// A shared location whose coordinates cannot be right.
pub fn bad_location(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "That location cannot be right: a latitude must be between -90 and 90 and a longitude between -180 and 180. Please share it again from the attachment menu \u{1f4ce}, Location."
        }
        Lang::Id => {
            "Lokasi itu tidak mungkin benar: lintang harus di antara -90 dan 90, bujur di antara -180 dan 180. Silakan bagikan lagi melalui menu lampiran \u{1f4ce}, Lokasi."
        }
    }
}

/// A location was added to the draft.
pub fn location_added(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Location added. Send photos or documents if you have any, then /done.",
        Lang::Id => "Lokasi ditambahkan. Kirim foto atau dokumen bila ada, lalu /done.",
    }
}

/// A follow-up location was stored on a ticket.
pub fn location_saved(lang: Lang, key: &str) -> String {
    match lang {
        Lang::En => format!("Location saved on {key}. The team can see it on the map now."),
        Lang::Id => format!("Lokasi disimpan pada {key}. Tim kini dapat melihatnya di peta."),
    }
}

/// Asks for the new value of a field (the summary's Edit buttons).
pub fn ask_edit(lang: Lang, field: crate::dialogue::EditField) -> &'static str {
    use crate::dialogue::EditField as F;
    match (lang, field) {
        (Lang::En, F::Title) => "Send the new title, in a few words. (/done keeps the current one)",
        (Lang::En, F::Description) => "Send the new description. (/done keeps the current one)",
        (Lang::En, F::Category) => "Tap the right category. (/skip for none, /done keeps the current one)",
        (Lang::En, F::Location) => {
            "Share the location from the attachment menu \u{1f4ce}, Location. (/skip removes it, /done keeps it)"
        }
        (Lang::En, F::Files) => "Send photos or documents if you have any, then /done. Send /skip for none.",
        (Lang::Id, F::Title) => "Kirim judul baru, dalam beberapa kata. (/done untuk tetap memakai yang sekarang)",
        (Lang::Id, F::Description) => "Kirim keterangan baru. (/done untuk tetap memakai yang sekarang)",
        (Lang::Id, F::Category) => {
            "Ketuk kategori yang sesuai. (/skip untuk tanpa kategori, /done untuk tetap memakai yang sekarang)"
        }
        (Lang::Id, F::Location) => {
            "Bagikan lokasi melalui menu lampiran \u{1f4ce}, Lokasi. (/skip untuk menghapusnya, /done untuk membiarkannya)"
        }
        (Lang::Id, F::Files) => "Kirim foto atau dokumen bila ada, lalu /done. Kirim /skip bila tidak ada.",
    }
}

/// Label of a summary button that changes one field.
pub fn button_edit(lang: Lang, field: crate::dialogue::EditField) -> &'static str {
    use crate::dialogue::EditField as F;
    match (lang, field) {
        (Lang::En, F::Title) => "\u{270f} Title",
        (Lang::En, F::Description) => "\u{270f} Description",
        (Lang::En, F::Category) => "\u{270f} Category",
        (Lang::En, F::Location) => "\u{270f} Location",
        (Lang::En, F::Files) => "\u{270f} Files",
        (Lang::Id, F::Title) => "\u{270f} Judul",
        (Lang::Id, F::Description) => "\u{270f} Keterangan",
        (Lang::Id, F::Category) => "\u{270f} Kategori",
        (Lang::Id, F::Location) => "\u{270f} Lokasi",
        (Lang::Id, F::Files) => "\u{270f} Berkas",
    }
}

/// A message without Reply was added to the reporter's most recently active open ticket.
pub fn routed(lang: Lang, key: &str, title: &str, others: bool) -> String {
    let choose = match (lang, others) {
        (Lang::En, true) => "Meant for another report? Tap it below, or start a new report with this message.",
        (Lang::En, false) => "Meant for something else? Tap below to start a new report with this message.",
        (Lang::Id, true) => {
            "Maksud Anda untuk laporan lain? Ketuk laporan itu di bawah, atau mulai laporan baru dengan pesan ini."
        }
        (Lang::Id, false) => "Maksud Anda untuk hal lain? Ketuk di bawah untuk memulai laporan baru dengan pesan ini.",
    };
    match lang {
        Lang::En => format!("Added to your report {key} \u{201c}{title}\u{201d}. {choose}"),
        Lang::Id => format!("Ditambahkan ke laporan Anda {key} \u{201c}{title}\u{201d}. {choose}"),
    }
}

/// A message without Reply from a reporter with no open ticket.
pub fn no_open_ticket(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "You have no open report to add this to. Shall I start a new report with this message as its description? Tap below, or send /report to start from scratch."
        }
        Lang::Id => {
            "Anda tidak memiliki laporan terbuka untuk menambahkan pesan ini. Mulai laporan baru dengan pesan ini sebagai keterangannya? Ketuk di bawah, atau kirim /report untuk mulai dari awal."
        }
    }
}

/// A location without Reply from a reporter with no open ticket.
pub fn location_without_ticket(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "You have no open report to put this location on. Send /report to report a problem; you can share the location while writing it."
        }
        Lang::Id => {
            "Anda tidak memiliki laporan terbuka untuk lokasi ini. Kirim /report untuk melaporkan masalah; lokasi dapat Anda bagikan saat menyusunnya."
        }
    }
}

/// Label of the button that moves a held message to another open ticket.
pub fn button_move_to(key: &str, title: &str) -> String {
    let title: String = title.chars().take(40).collect();
    format!("\u{27a1} {key} {title}")
}

/// Label of the button that starts a report with a held message.
pub fn button_report_held(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "\u{2795} New report with this message",
        Lang::Id => "\u{2795} Laporan baru dengan pesan ini",
    }
}

/// A held message was moved to another ticket.
pub fn moved(lang: Lang, key: &str, title: &str) -> String {
    match lang {
        Lang::En => format!(
            "Moved: your message is now on {key} \u{201c}{title}\u{201d}. The team has been told it was not meant for the other report."
        ),
        Lang::Id => format!(
            "Dipindahkan: pesan Anda kini ada pada {key} \u{201c}{title}\u{201d}. Tim sudah diberi tahu bahwa pesan itu bukan untuk laporan yang lain."
        ),
    }
}

/// A button that no longer applies (pressed after the conversation moved on).
pub fn stale_button(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "That button is no longer current, so nothing was changed. Send /mytickets to see your reports.",
        Lang::Id => {
            "Tombol itu sudah tidak berlaku, jadi tidak ada yang diubah. Kirim /mytickets untuk melihat laporan Anda."
        }
    }
}

/// The system note left on a ticket whose message the reporter moved elsewhere (agents only).
pub fn moved_note(to_key: &str) -> String {
    format!("The reporter says their last message above was meant for {to_key}; it has been added there.")
}

/// The system note left on a ticket whose message the reporter turned into a new report (agents only).
pub fn moved_to_new_report_note() -> &'static str {
    "The reporter says their last message above was meant for a new report; they are filing it separately."
}

/// The reporter's reply reopened a resolved or closed ticket.
pub fn reopened(lang: Lang, key: &str) -> String {
    match lang {
        Lang::En => format!("Thank you. {key} is open again and the team has been told to look at it once more."),
        Lang::Id => format!("Terima kasih. {key} dibuka kembali dan tim sudah diberi tahu untuk memeriksanya lagi."),
    }
}

/// A rating was stored; the reporter may add a comment.
pub fn rated(lang: Lang, key: &str, stars: u8, ask_comment: bool) -> String {
    let shown: String = "\u{2605}".repeat(usize::from(stars)) + &"\u{2606}".repeat(5 - usize::from(stars.min(5)));
    let head = match lang {
        Lang::En => format!("Thank you for rating {key}: {shown} ({stars} of 5)."),
        Lang::Id => format!("Terima kasih atas penilaian Anda untuk {key}: {shown} ({stars} dari 5)."),
    };
    if !ask_comment {
        return head;
    }
    match lang {
        Lang::En => format!(
            "{head} If you like, write a short comment on what went well or what could be better; or send /skip."
        ),
        Lang::Id => format!(
            "{head} Bila berkenan, tulis komentar singkat tentang apa yang sudah baik atau perlu diperbaiki; atau kirim /skip."
        ),
    }
}

/// The rating's comment was stored (or skipped).
pub fn rating_done(lang: Lang, with_comment: bool) -> &'static str {
    match (lang, with_comment) {
        (Lang::En, true) => "Your comment was saved. Thank you for helping us improve!",
        (Lang::En, false) => "All right, no comment. Thank you for your rating!",
        (Lang::Id, true) => "Komentar Anda sudah disimpan. Terima kasih telah membantu kami menjadi lebih baik!",
        (Lang::Id, false) => "Baik, tanpa komentar. Terima kasih atas penilaian Anda!",
    }
}

/// A rating for a ticket that is no longer resolved or closed.
pub fn cannot_rate(lang: Lang, key: &str) -> String {
    match lang {
        Lang::En => format!(
            "{key} is not resolved any more (it was reopened), so it cannot be rated now. I will ask again once it is resolved."
        ),
        Lang::Id => format!(
            "{key} sudah tidak berstatus selesai (dibuka kembali), jadi belum dapat dinilai. Saya akan bertanya lagi setelah selesai."
        ),
    }
}

/// Heading of the recent public replies in `/status`.
pub fn recent_replies(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Latest messages:",
        Lang::Id => "Pesan terakhir:",
    }
}

/// `/status` when nothing has been said on the ticket yet.
pub fn no_replies_yet(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "No messages yet.",
        Lang::Id => "Belum ada pesan.",
    }
}

/// Who wrote a message quoted in `/status`: the reporter themself, or the desk.
pub fn you(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "You",
        Lang::Id => "Anda",
    }
}

/// Longest description shown in the summary, in characters; a longer one is shortened there (the whole
/// text is still filed), so the summary with its buttons always fits in one Telegram message.
pub const SUMMARY_DESCRIPTION_CHARS: usize = 3000;

/// The summary before sending. Always shorter than Telegram's 4,096 characters: titles (200) and category
/// names (100) are bounded, and the description is shortened here if need be.
pub fn summary(
    lang: Lang,
    title: &str,
    description: &str,
    category: Option<&str>,
    files: usize,
    location: Option<&str>,
) -> String {
    let none = match lang {
        Lang::En => "none",
        Lang::Id => "tidak ada",
    };
    let category = category.unwrap_or(none);
    let shortened;
    let description = if description.chars().count() > SUMMARY_DESCRIPTION_CHARS {
        let head: String = description.chars().take(SUMMARY_DESCRIPTION_CHARS).collect();
        shortened = match lang {
            Lang::En => format!("{head}\u{2026}\n(shortened here; your whole description will be sent)"),
            Lang::Id => format!("{head}\u{2026}\n(dipersingkat di sini; keterangan lengkap Anda tetap dikirim)"),
        };
        shortened.as_str()
    } else {
        description
    };
    let location = location.unwrap_or(none);
    match lang {
        Lang::En => format!(
            "Please check your report:\n\nTitle: {title}\nDescription: {description}\nCategory: {category}\nLocation: {location}\nFiles: {files}\n\nSend it, or tap a part to change it."
        ),
        Lang::Id => format!(
            "Periksa laporan Anda:\n\nJudul: {title}\nKeterangan: {description}\nKategori: {category}\nLokasi: {location}\nBerkas: {files}\n\nKirim, atau ketuk bagian yang ingin diubah."
        ),
    }
}

/// `/report` while a report is being written: discard it?
pub fn confirm_restart(lang: Lang, title: &str) -> String {
    match lang {
        Lang::En => format!(
            "You are still writing a report (\u{201c}{title}\u{201d}). Start a new one and discard that draft, or keep writing it?"
        ),
        Lang::Id => format!(
            "Anda masih menyusun laporan (\u{201c}{title}\u{201d}). Mulai laporan baru dan buang draf tersebut, atau lanjutkan draf?"
        ),
    }
}

/// Label of the button that discards the draft and starts again.
pub fn button_restart(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Start over",
        Lang::Id => "Mulai baru",
    }
}

/// Label of the button that keeps the draft.
pub fn button_keep_draft(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Keep my draft",
        Lang::Id => "Lanjutkan draf",
    }
}

/// Send was pressed on an older summary.
pub fn stale_summary(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "That summary is out of date, so nothing was sent. Please check the current one below and press Send there."
        }
        Lang::Id => {
            "Ringkasan itu sudah tidak berlaku, jadi belum ada yang dikirim. Silakan periksa ringkasan terbaru di bawah ini dan tekan Kirim di sana."
        }
    }
}

/// A follow-up file over the size limit.
pub fn follow_up_file_too_big(lang: Lang, key: &str, limit_mb: u32) -> String {
    match lang {
        Lang::En => format!(
            "That file is too big for {key} (the limit is {limit_mb} MB), so it was not added. Please send a smaller one as a reply."
        ),
        Lang::Id => format!(
            "Berkas itu terlalu besar untuk {key} (batasnya {limit_mb} MB), jadi tidak ditambahkan. Silakan kirim berkas yang lebih kecil sebagai balasan."
        ),
    }
}

/// A follow-up file over the per-ticket or per-day count.
pub fn follow_up_files_quota(lang: Lang, key: &str) -> String {
    match lang {
        Lang::En => format!(
            "{key} already has as many files from you as I can take, so this one was not added. Please describe the rest in a message instead."
        ),
        Lang::Id => format!(
            "{key} sudah memiliki berkas dari Anda sebanyak yang dapat saya terima, jadi berkas ini tidak ditambahkan. Silakan jelaskan sisanya dalam pesan."
        ),
    }
}

/// Label of the Send button.
pub fn button_send(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Send",
        Lang::Id => "Kirim",
    }
}

/// Label of the Cancel button.
pub fn button_cancel(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Cancel",
        Lang::Id => "Batal",
    }
}

/// Labels of the paging buttons.
pub fn button_previous(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "\u{25c0} Previous",
        Lang::Id => "\u{25c0} Sebelumnya",
    }
}

pub fn button_next(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Next \u{25b6}",
        Lang::Id => "Berikutnya \u{25b6}",
    }
}

/// The ticket was filed.
pub fn filed(lang: Lang, key: &str) -> String {
    match lang {
        Lang::En => format!(
            "Thank you! Your report is filed as {key}. I will tell you when it moves; reply to this message to add to it."
        ),
        Lang::Id => format!(
            "Terima kasih! Laporan Anda tercatat sebagai {key}. Saya akan mengabari setiap perkembangan; balas pesan ini untuk menambahkan keterangan."
        ),
    }
}

/// Filing failed on our side.
pub fn filing_failed(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Sorry, I could not file your report just now. Please press Send again in a moment.",
        Lang::Id => "Maaf, laporan Anda belum bisa dicatat. Silakan tekan Kirim lagi sebentar lagi.",
    }
}

/// `/cancel` during a report.
pub fn cancelled(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Report cancelled. Nothing was sent.",
        Lang::Id => "Laporan dibatalkan. Tidak ada yang dikirim.",
    }
}

/// `/cancel` with nothing going on.
pub fn nothing_to_cancel(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "There is nothing to cancel.",
        Lang::Id => "Tidak ada yang perlu dibatalkan.",
    }
}

/// Plain text outside any conversation.
pub fn idle_hint(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "To report a problem send /report. To add to a report, reply to my message about it, or just write: I add it to your latest open report. /help lists everything."
        }
        Lang::Id => {
            "Untuk melapor kirim /report. Untuk menambah keterangan, balas pesan saya tentang laporan itu, atau tulis saja: saya tambahkan ke laporan terbuka Anda yang terakhir. /help untuk bantuan."
        }
    }
}

/// `/mytickets` with none.
pub fn no_tickets(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "You have not reported anything yet. Send /report to start.",
        Lang::Id => "Anda belum pernah melapor. Kirim /report untuk mulai.",
    }
}

/// Heading of a `/mytickets` page.
pub fn tickets_heading(lang: Lang, page: i64, pages: i64, total: i64) -> String {
    match lang {
        Lang::En => format!("Your reports ({total}), page {page} of {pages}:"),
        Lang::Id => format!("Laporan Anda ({total}), halaman {page} dari {pages}:"),
    }
}

/// One line of `/mytickets`.
pub fn ticket_line(lang: Lang, key: &str, title: &str, status: Status) -> String {
    format!("{key} \u{2014} {title} ({})", status_name(lang, status))
}

/// `/status` answer.
pub fn ticket_status(lang: Lang, key: &str, title: &str, status: Status) -> String {
    let name = status_name(lang, status);
    match lang {
        Lang::En => format!("{key} \u{201c}{title}\u{201d}: {name}."),
        Lang::Id => format!("{key} \u{201c}{title}\u{201d}: {name}."),
    }
}

/// `/status` without a usable key.
pub fn status_usage(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Which report? For example: /status TKT-0042 or /status 42",
        Lang::Id => "Laporan yang mana? Contoh: /status TKT-0042 atau /status 42",
    }
}

/// A ticket that does not exist or is someone else's.
pub fn ticket_not_found(lang: Lang, key: &str) -> String {
    match lang {
        Lang::En => format!("I cannot find a report {key} of yours."),
        Lang::Id => format!("Saya tidak menemukan laporan {key} milik Anda."),
    }
}

/// A follow-up was added to a ticket.
pub fn comment_added(lang: Lang, key: &str) -> String {
    match lang {
        Lang::En => format!("Added to {key}. Thank you!"),
        Lang::Id => format!("Ditambahkan ke {key}. Terima kasih!"),
    }
}

/// A follow-up could not be added.
pub fn comment_failed(lang: Lang, key: &str) -> String {
    match lang {
        Lang::En => format!("Sorry, I could not add that to {key}. Please try again."),
        Lang::Id => format!("Maaf, itu belum bisa ditambahkan ke {key}. Silakan coba lagi."),
    }
}

/// Body of a follow-up that is only a photo.
pub fn photo_only(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "(photo)",
        Lang::Id => "(foto)",
    }
}

/// `/lang` without an argument.
pub fn choose_language(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Choose your language:",
        Lang::Id => "Pilih bahasa Anda:",
    }
}

/// The language was switched (said in the new language).
pub fn language_set(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "I will speak English from now on.",
        Lang::Id => "Mulai sekarang saya akan berbahasa Indonesia.",
    }
}

/// The rate limit refused a message.
pub fn slow_down(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "You are sending messages very quickly. Please wait a moment before sending more.",
        Lang::Id => "Anda mengirim pesan terlalu cepat. Mohon tunggu sebentar sebelum mengirim lagi.",
    }
}

/// Something went wrong on our side.
pub fn try_later(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Sorry, something went wrong on our side. Please try again in a moment.",
        Lang::Id => "Maaf, terjadi gangguan di pihak kami. Silakan coba lagi sebentar lagi.",
    }
}

/// Names of the languages on the `/lang` buttons, each in its own language.
pub const LANGUAGE_BUTTONS: [(Lang, &str); 2] = [(Lang::En, "English"), (Lang::Id, "Bahasa Indonesia")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_follow_telegram_codes() {
        assert_eq!(Lang::from_code("id"), Lang::Id);
        assert_eq!(Lang::from_code("ID-id"), Lang::Id);
        assert_eq!(Lang::from_code("en-GB"), Lang::En);
        assert_eq!(Lang::from_code(""), Lang::En);
    }

    #[test]
    fn help_lists_every_command_in_both_languages() {
        for lang in [Lang::En, Lang::Id] {
            let help = help(lang);
            for (command, _) in command_menu(lang) {
                assert!(help.contains(&format!("/{command}")), "{lang:?} help lacks /{command}");
            }
        }
    }

    #[test]
    fn notices_name_the_ticket() {
        assert!(status_changed(Lang::En, "TKT-0042", "Broken lamp", Status::Resolved).contains("TKT-0042"));
        assert!(status_changed(Lang::Id, "TKT-0042", "Lampu", Status::Open).contains("sedang ditangani"));
        assert!(agent_reply(Lang::En, "TKT-0001", Some("Ana"), "Fixed.").contains("Fixed."));
        assert!(agent_reply(Lang::Id, "TKT-0001", None, "Sudah.").starts_with("Petugas layanan Loket membalas"));
        assert!(agent_reply(Lang::En, "TKT-0001", None, "Done.").starts_with("The Loket help desk replied"));
        for lang in [Lang::En, Lang::Id] {
            let told = merged(lang, "TKT-0007", "TKT-0042", "Lampu jalan mati");
            assert!(told.contains("TKT-0007") && told.contains("TKT-0042") && told.contains("/status TKT-0042"));
        }
        assert!(merged(Lang::Id, "TKT-0007", "TKT-0042", "Lampu").contains("Anda"));
    }

    #[test]
    fn a_summary_always_fits_in_one_message() {
        let title = "t".repeat(crate::dialogue::MAX_TITLE_CHARS);
        let category = "c".repeat(100);
        for lang in [Lang::En, Lang::Id] {
            let long = summary(
                lang,
                &title,
                &"x".repeat(20_000),
                Some(&category),
                10,
                Some("-6.175110, 106.865039"),
            );
            assert!(long.chars().count() <= 4096, "{lang:?}: {}", long.chars().count());
            assert!(long.contains('\u{2026}'), "a shortened description is marked");
            let short = summary(lang, "Lampu", "Mati sejak Senin", None, 0, None);
            assert!(short.contains("Mati sejak Senin") && !short.contains('\u{2026}'));
        }
    }
}
