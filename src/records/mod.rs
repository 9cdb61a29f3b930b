//! The bounded record store behind the receive log.
