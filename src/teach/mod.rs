//! Teaching aids: what helps a learner reproduce and understand a session.
//!
//! - [`python`]: "Copy as Python", a short tutorial-style program that talks
//!   to the current session;
//! - [`explain`]: why each event and error happens and what to do, in
//!   中文 and English.

pub mod explain;
pub mod python;

pub use python::{
    CommentLanguage, PythonError, PythonSession, Snippet, SnippetRole, python_snippets,
};
