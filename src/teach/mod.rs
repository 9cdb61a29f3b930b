//! Teaching aids: what helps a learner reproduce and understand a session.
//!
//! - [`python`]: "Copy as Python", a short tutorial-style program that talks
//!   to the current session;
//! - [`explain`]: why each event and error happens and what to do, in
//!   中文 and English;
//! - [`encoding_hint`]: telling once per peer when it uses the other
//!   encoding than the session sends;
//! - [`load`]: why load-test clients fail, kind by kind.

pub mod encoding_hint;
pub mod explain;
pub mod explanation;
pub mod load;
pub mod python;
mod python_ws;
mod snippets;

pub use python::{CommentLanguage, PyTls, PythonError, PythonSession, Snippet, SnippetRole};
pub use snippets::python_snippets;
