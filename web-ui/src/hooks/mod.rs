//! Hooks and the context providers behind them: session, live connection, board, attention, directory, notices,
//! theme and a ticking clock. Pages and components reach shared state only through these.

pub mod use_attention;
pub mod use_board;
pub mod use_connection;
pub mod use_directory;
pub mod use_load;
pub mod use_notices;
pub mod use_now;
pub mod use_session;
pub mod use_theme;

pub use use_attention::{AttentionProvider, use_attention};
pub use use_board::{BoardProvider, use_board};
pub use use_connection::{ConnectionProvider, use_live, use_server_messages};
pub use use_directory::{Directory, DirectoryProvider, use_directory};
pub use use_load::{Loadable, use_load};
pub use use_notices::{NoticeKind, NoticeProvider, use_notify, use_notify_ticket};
pub use use_now::use_now;
pub use use_session::{Session, use_session};
pub use use_theme::{Theme, use_theme};
