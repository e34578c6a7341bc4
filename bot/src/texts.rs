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
    match lang {
        Lang::En => format!("Your report {key} \u{201c}{title}\u{201d} is now: {name}."),
        Lang::Id => format!("Laporan Anda {key} \u{201c}{title}\u{201d} sekarang: {name}."),
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
        Lang::En => "Send photos or documents if you have any, then /done. Send /skip for none.",
        Lang::Id => "Kirim foto atau dokumen bila ada, lalu /done. Kirim /skip bila tidak ada.",
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

/// Input that does not fit the current step; `expected` is that step's prompt.
pub fn reprompt(lang: Lang, expected: &str) -> String {
    match lang {
        Lang::En => format!("Sorry, I need something else here. {expected}"),
        Lang::Id => format!("Maaf, yang saya perlukan di sini lain. {expected}"),
    }
}

/// Longest description shown in the summary, in characters; a longer one is shortened there (the whole
/// text is still filed), so the summary with its buttons always fits in one Telegram message.
pub const SUMMARY_DESCRIPTION_CHARS: usize = 3000;

/// The summary before sending. Always shorter than Telegram's 4,096 characters: titles (200) and category
/// names (100) are bounded, and the description is shortened here if need be.
pub fn summary(lang: Lang, title: &str, description: &str, category: Option<&str>, files: usize) -> String {
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
    match lang {
        Lang::En => format!(
            "Please check your report:\n\nTitle: {title}\nDescription: {description}\nCategory: {category}\nFiles: {files}\n\nSend it?"
        ),
        Lang::Id => format!(
            "Periksa laporan Anda:\n\nJudul: {title}\nKeterangan: {description}\nKategori: {category}\nBerkas: {files}\n\nKirim?"
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
            "To report a problem send /report. To add to a report, reply to my message about it. /help lists everything."
        }
        Lang::Id => {
            "Untuk melapor kirim /report. Untuk menambah keterangan, balas pesan saya tentang laporan itu. /help untuk bantuan."
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
    }

    #[test]
    fn a_summary_always_fits_in_one_message() {
        let title = "t".repeat(crate::dialogue::MAX_TITLE_CHARS);
        let category = "c".repeat(100);
        for lang in [Lang::En, Lang::Id] {
            let long = summary(lang, &title, &"x".repeat(20_000), Some(&category), 10);
            assert!(long.chars().count() <= 4096, "{lang:?}: {}", long.chars().count());
            assert!(long.contains('\u{2026}'), "a shortened description is marked");
            let short = summary(lang, "Lampu", "Mati sejak Senin", None, 0);
            assert!(short.contains("Mati sejak Senin") && !short.contains('\u{2026}'));
        }
    }
}
