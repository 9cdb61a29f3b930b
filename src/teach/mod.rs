//! Teaching aids: what helps a learner reproduce and understand a session.
//!
//! - [`python`]: "Copy as Python", a short tutorial-style program that talks
//!   to the current session.

pub mod python;

pub use python::{
    CommentLanguage, PythonError, PythonSession, Snippet, SnippetRole, python_snippets,
};
