//! This machine's local addresses, offered when choosing where to bind.

/// 127.0.0.1, 0.0.0.0, ::1, :: and every address of this machine's
/// interfaces (a quick, non-blocking OS query).
pub fn list() -> Vec<String> {
    let mut out: Vec<String> = ["127.0.0.1", "0.0.0.0", "::1", "::"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Ok(addrs) = if_addrs::get_if_addrs() {
        for a in addrs {
            // Link-local IPv6 needs a scope id to bind; leave those out.
            if let std::net::IpAddr::V6(v6) = a.ip()
                && v6.is_unicast_link_local()
            {
                continue;
            }
            let ip = a.ip().to_string();
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
    }
    out
}
