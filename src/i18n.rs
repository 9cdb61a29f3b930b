//! Every user-visible string of the window, in 中文 and English.
//!
//! The table is one macro invocation, so a key without both languages does
//! not compile; `T::ALL` lets tests check every entry. Strings with `{}`
//! placeholders are filled in order by [`fill`].

use serde::{Deserialize, Serialize};

/// The window's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    /// 简体中文.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The system's language: Chinese for any `zh` locale, else English.
    pub fn system() -> Lang {
        match sys_locale::get_locale() {
            Some(l) if l.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    /// The name of the language in itself, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }
}

macro_rules! table {
    ($($key:ident: $zh:literal, $en:literal;)*) => {
        /// A key into the string table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum T { $(
            #[doc = $en]
            $key,
        )* }

        impl T {
            /// Every key, for tests that check the table.
            pub const ALL: &'static [T] = &[$(T::$key),*];

            /// The string in `lang`.
            pub fn get(self, lang: Lang) -> &'static str {
                match lang {
                    Lang::Zh => match self { $(T::$key => $zh,)* },
                    Lang::En => match self { $(T::$key => $en,)* },
                }
            }
        }
    };
}

table! {
    AppTitle: "NetAssist 网络调试助手", "NetAssist network debugging assistant";
    Language: "语言", "Language";
    // Tabs
    NewTab: "新建标签页（Ctrl+T）", "New tab (Ctrl+T)";
    CloseTab: "关闭标签页（Ctrl+W）", "Close tab (Ctrl+W)";
    TabName: "标签页名称", "Tab name";
    RenameHint: "双击改名", "Double-click to rename";
    Unread: "有新数据", "new data";
    ConfirmCloseTitle: "关闭标签页？", "Close this tab?";
    ConfirmCloseText: "“{}” 还开着，关闭标签页会断开它的连接。", "\"{}\" is still open: closing the tab closes its connection.";
    ConfirmCloseYes: "关闭", "Close it";
    // Settings dialog
    SettingsBtn: "设置…", "Settings…";
    SettingsTitle: "设置", "Settings";
    BudgetLabel: "所有标签页的日志最多占用（MiB）", "Memory for all tabs' logs (MiB)";
    BudgetHint: "超出时，先丢弃本标签页最早的记录，再丢弃其他标签页最早的记录", "When full, a tab drops its own oldest records first, then other tabs' oldest";
    ErrBudget: "请输入 {} 到 {} 之间的整数", "Enter a whole number from {} to {}";
    Apply: "应用", "Apply";
    // Network settings
    NetSettings: "网络设置", "Network settings";
    Protocol: "协议类型", "Protocol";
    TcpServer: "TCP 服务器", "TCP Server";
    TcpClient: "TCP 客户端", "TCP Client";
    Udp: "UDP", "UDP";
    LocalAddr: "本地主机地址", "Local address";
    LocalPort: "本地端口", "Local port";
    LocalPortAny: "本地端口（空=自动）", "Local port (empty = any)";
    RefreshAddrs: "刷新地址", "Refresh addresses";
    RemoteHost: "远程主机地址", "Remote host";
    RemotePort: "远程端口", "Remote port";
    RecentRemotes: "最近的远程地址", "Recent remotes";
    Open: "打开", "Open";
    CloseBtn: "关闭", "Close";
    Connect: "连接", "Connect";
    Disconnect: "断开", "Disconnect";
    Opening: "正在打开…", "Opening…";
    Connecting: "正在连接…", "Connecting…";
    BoundTo: "已绑定 {}", "Bound to {}";
    ListeningOn: "正在监听 {}", "Listening on {}";
    ConnectedFrom: "已连接，本地 {}", "Connected, local {}";
    // Multicast (UDP)
    Multicast: "组播", "Multicast";
    JoinGroup: "加入组播组（组地址@网卡，如 239.1.2.3@eth0）", "Join group (GROUP@IFACE, e.g. 239.1.2.3@eth0)";
    JoinBtn: "加入", "Join";
    LeaveBtn: "退出", "Leave";
    GroupsJoined: "已加入的组", "Joined groups";
    GroupsAtOpen: "打开时加入", "Joined at open";
    NoGroups: "（没有）", "(none)";
    MulticastTtl: "组播 TTL（空=系统默认 1）", "Multicast TTL (empty = system default, 1)";
    MulticastLoop: "本机也收到自己发的组播", "Our multicast sends come back to this machine";
    MulticastIf: "组播发送网卡（空=系统选择）", "Send multicast by interface (empty = system choice)";
    ErrGroup: "“{}” 不是组播地址（IPv4 224.0.0.0–239.255.255.255，IPv6 ff00::/8），可以写 组地址@网卡", "'{}' is not a multicast group (IPv4 224.0.0.0 to 239.255.255.255, IPv6 ff00::/8); write GROUP or GROUP@IFACE";
    ErrTtl: "TTL “{}” 必须是 0 到 255 之间的数字", "TTL '{}' must be a number from 0 to 255";
    EvJoined: "已加入组播组 {}", "joined multicast group {}";
    EvLeft: "已退出组播组 {}", "left multicast group {}";
    // Receive settings
    RxSettings: "接收设置", "Receive settings";
    ViewText: "文本显示", "Show text";
    ViewHex: "十六进制显示", "Show hex";
    ViewBoth: "文本+十六进制", "Text + hex";
    RxEncoding: "显示编码", "Display encoding";
    EncAuto: "自动", "Auto";
    ShowTime: "显示时间戳", "Show timestamps";
    ShowPeer: "显示对端和字节数", "Show peer and byte count";
    ShowControl: "显示控制字符（␍ ␊ ␉）", "Show control characters (␍ ␊ ␉)";
    AutoScroll: "自动滚动", "Auto-scroll";
    Pause: "暂停显示", "Pause display";
    ClearLog: "清空接收区", "Clear log";
    SaveLog: "保存日志…", "Save log…";
    SaveRaw: "保存原始数据…", "Save raw data…";
    SavePcap: "保存为 pcapng（Wireshark）…", "Save as pcapng (Wireshark)…";
    RecordToFile: "接收转向文件…", "Record to file…";
    StopRecording: "停止记录", "Stop recording";
    Recording: "记录到 {}", "Recording to {}";
    RecordBehind: "写入记录文件跟不上，{} 字节没有写入", "The recording file could not keep up: {} bytes were not written";
    // Send settings
    TxSettings: "发送设置", "Send settings";
    TxText: "文本发送", "Send text";
    TxHex: "十六进制发送", "Send hex";
    Escapes: "解析转义符 \\r \\n \\t \\xHH", "Escapes \\r \\n \\t \\xHH";
    Append: "追加", "Append";
    AppendNone: "无", "None";
    TxEncoding: "发送编码", "Send encoding";
    ChecksumLabel: "校验", "Checksum";
    ChecksumNone: "无", "None";
    ChecksumRangeLabel: "校验范围（起:止，如 0: 或 1:-2）", "Covers (FROM:TO, e.g. 0: or 1:-2)";
    ErrChecksumRange: "校验范围要写成 起:止，例如 0:（全部）、1:（跳过第一个字节）、1:-2（再去掉最后两个）", "Write the range as FROM:TO, e.g. 0: (all), 1: (skip the first byte), 1:-2 (also leave out the last two)";
    ErrChecksumFit: "校验范围 {} 超出了 {} 字节的数据", "Checksum range {} does not fit {} bytes of data";
    Preview: "将发送：", "Will send:";
    PreviewBytes: "（{} 字节）", "({} bytes)";
    LoopSend: "循环发送", "Loop send";
    LoopEvery: "间隔（毫秒）", "Every (ms)";
    LoopStart: "开始循环", "Start loop";
    LoopStop: "停止循环", "Stop loop";
    LoopTimes: "次数", "Times";
    LoopTimesHint: "留空：一直发送，直到点停止", "Empty: send until stopped";
    LoopSent: "已发送 {} 次", "sent {}";
    LoopSentOf: "已发送 {} / {} 次", "sent {} of {}";
    LoopDone: "循环发送完成：共 {} 次", "Loop send done: {} sent";
    LoopStopped: "循环发送已停止：已发送 {} 次", "Loop send stopped after {} sends";
    LoopFailed: "循环发送在连续失败后停止（已发送 {} 次）：{}", "Loop send stopped after failing several times in a row ({} sent): {}";
    LoopClosed: "连接已关闭，循环发送停止（已发送 {} 次）", "The connection closed, so the loop send stopped ({} sent)";
    SendFile: "发送文件…", "Send file…";
    Cancel: "取消", "Cancel";
    FileProgress: "正在发送 {}：{} / {} 字节", "Sending {}: {} / {} bytes";
    FileDone: "文件已发送：{}（{} 字节）", "File sent: {} ({} bytes)";
    FileCancelled: "文件发送已取消", "File send cancelled";
    // Log
    ReceiveLog: "数据日志", "Data log";
    Paused: "已暂停：数据仍在接收和保存", "Paused: data is still received and kept";
    CopyText: "复制文本", "Copy text";
    CopyHex: "复制十六进制", "Copy hex";
    EvOpened: "已打开 {}", "opened {}";
    EvConnected: "已连接", "connected";
    EvPeerFinished: "对方已结束发送（FIN，半关闭）", "peer finished sending (FIN, half-close)";
    EvClosedByPeer: "连接已关闭（双方都已结束发送）", "connection closed (both sides finished)";
    EvReset: "连接被对方重置（RST）", "connection reset by peer (RST)";
    EvDisconnected: "已断开", "disconnected";
    EvClosed: "已关闭", "closed";
    EvError: "错误：{}", "error: {}";
    // Automation
    RuleFailed: "自动回复失败：{}", "Auto-reply failed: {}";
    AutomationBtn: "自动化…", "Automation…";
    AutomationTitle: "自动化：快捷指令、序列、自动回复", "Automation: presets, sequences, auto-reply";
    TabPresets: "快捷指令", "Presets";
    TabSequences: "序列", "Sequences";
    TabRules: "自动回复", "Auto-reply";
    AddPreset: "把发送区存为快捷指令", "Save send box as preset";
    NoPresets: "还没有快捷指令：在发送区写好内容后点“把发送区存为快捷指令”", "No presets yet: type something in the send box, then Save send box as preset";
    PresetName: "名称", "Name";
    PresetText: "内容", "Content";
    Hotkey: "快捷键", "Hotkey";
    HotkeyNone: "无", "None";
    TargetUdp: "目标（UDP，空=默认）", "Target (UDP, empty = default)";
    MoveUp: "上移", "Move up";
    MoveDown: "下移", "Move down";
    Delete: "删除", "Delete";
    SendPreset: "发送", "Send";
    ImportFile: "导入…", "Import…";
    ExportFile: "导出…", "Export…";
    Imported: "已导入 {}", "Imported {}";
    ImportError: "导入失败：{}（已有的内容没有改变）", "Import failed: {} (nothing loaded was changed)";
    ImportRuleProblems: "已导入 {}；{} 条规则有错误，已停用", "Imported {}; {} rules have errors and stay disabled";
    AddSequence: "新建序列", "New sequence";
    NoSequences: "还没有序列", "No sequences yet";
    SeqName: "序列名称", "Sequence name";
    SeqRepeat: "重复次数（空=一直）", "Rounds (empty = forever)";
    AddStep: "添加步骤", "Add step";
    StepPreset: "快捷指令", "Preset";
    StepLiteral: "直接输入", "Literal";
    StepWaitMs: "然后等待（毫秒）", "then wait (ms)";
    StepWaitReply: "然后等待回复", "then wait for a reply";
    StepTimeout: "超时（毫秒）", "timeout (ms)";
    StepPattern: "匹配", "matching";
    RunSequence: "运行", "Run";
    StopSequence: "停止", "Stop";
    SeqProgress: "{}：第 {} / {} 步，第 {} 轮", "{}: step {} of {}, round {}";
    SeqFinished: "{}：完成", "{}: finished";
    SeqStopped: "{}：已停止", "{}: stopped";
    SeqFailed: "{}：失败：{}", "{}: failed: {}";
    SeqError: "序列不能运行：{}", "The sequence cannot run: {}";
    AnswerFirst: "第一条匹配的规则回复", "First matching rule answers";
    AnswerAll: "所有匹配的规则都回复", "Every matching rule answers";
    AddRule: "添加规则", "Add rule";
    AddEcho: "添加回显规则", "Add echo rule";
    NoRules: "还没有自动回复规则", "No auto-reply rules yet";
    RuleEnabled: "启用", "On";
    RuleWhen: "当收到", "When";
    RulePattern: "模式", "Pattern";
    RuleReply: "回复", "Reply";
    RuleReplyHex: "十六进制回复", "Reply is hex";
    RuleDelay: "延迟（毫秒）", "Delay (ms)";
    RuleClose: "然后关闭连接", "Then close";
    RuleHits: "命中 {} 次", "{} hits";
    RuleEcho: "回显", "Echo";
    RuleEchoNone: "不回显", "No echo";
    RuleEchoSame: "原样回显", "Same bytes";
    RuleEchoUpper: "转大写回显", "Upper-case";
    RuleError: "这条规则停用了：{}", "This rule is off: {}";
    PeerFinPolicy: "对方结束发送（FIN）后，我方也结束", "When the peer finishes sending (FIN), finish ours too";
    // Find and filter
    Find: "查找（Ctrl+F）", "Find (Ctrl+F)";
    FindText: "文本", "Text";
    FindHex: "十六进制", "Hex";
    FindPrev: "上一个（Shift+F3）", "Previous (Shift+F3)";
    FindNext: "下一个（F3）", "Next (F3)";
    FindCount: "第 {} 个，共 {} 个", "{} of {}";
    FindCountNone: "共 {} 个", "{} found";
    FindSearching: "查找中…", "searching…";
    FindNone: "没有找到", "no matches";
    ShowRx: "接收", "RX";
    ShowTx: "发送", "TX";
    ShowEvents: "事件", "Events";
    FilterRegex: "过滤（正则）", "Filter (regex)";
    FilterPeer: "只看 {}", "Only {}";
    FilterPeerClear: "显示全部对端", "Show all peers";
    OnlyThisPeer: "只看这个对端", "Show only this peer";
    OnlyBtn: "只看", "Only";
    ErrRegex: "正则表达式有误：{}", "Bad regular expression: {}";
    ShowPlot: "流量图", "Throughput plot";
    PlotRx: "接收 字节/秒", "RX bytes/s";
    PlotTx: "发送 字节/秒", "TX bytes/s";
    // Send box
    SendBox: "发送区", "Send box";
    SendBtn: "发送", "Send";
    SendHint: "Ctrl+Enter 发送", "Ctrl+Enter sends";
    History: "历史", "History";
    BigInput: "大段输入：{} 字节，{} 行（不在此显示，以免卡顿）", "Large input: {} bytes, {} lines (not laid out here, so the window stays fast)";
    BigWillSend: "将发送 {} 字节（{}）", "Will send {} bytes ({})";
    BigFirstLines: "开头几行：", "First lines:";
    EditAnyway: "仍要编辑", "Edit anyway";
    SaveInput: "另存为文件…", "Save as file…";
    ClearInput: "清空", "Clear";
    AsHex: "十六进制", "hex";
    HistoryEmpty: "（还没有发送过）", "(nothing sent yet)";
    // Clients
    Clients: "客户端", "Clients";
    ClientCount: "{} 个客户端", "{} clients";
    SendTo: "发送到", "Send to";
    AllClients: "所有客户端", "All clients";
    SelectedClients: "选中的客户端", "Selected clients";
    DisconnectSelected: "断开选中", "Disconnect selected";
    ColAddr: "地址", "Address";
    ColSince: "连接时间", "Since";
    ColRx: "接收", "RX";
    ColTx: "发送", "TX";
    // Status bar
    StateClosed: "未打开", "Closed";
    StateOpen: "已打开", "Open";
    Rx: "接收", "RX";
    Tx: "发送", "TX";
    Packets: "包", "packets";
    Bytes: "字节", "bytes";
    Dropped: "已丢弃最早的 {} 字节（上限 {} MiB）", "dropped oldest {} bytes (cap {} MiB)";
    ResetCounters: "计数清零", "Reset counters";
    // Field errors
    ErrPort: "端口必须是 {} 到 65535 之间的数字", "Port must be a number from {} to 65535";
    ErrLocalAddr: "“{}” 不是 IP 地址（例如 127.0.0.1、0.0.0.0、::1）", "'{}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1)";
    ErrHost: "“{}” 不是主机名或 IP 地址", "'{}' is not a host name or IP address";
    ErrHex: "十六进制有误：第 {} 个字符 “{}” 不是十六进制数字", "Bad hex: character {} ('{}') is not a hex digit";
    ErrHexOdd: "十六进制有误：第 {} 个字符起的 “{}” 位数为奇数", "Bad hex: the group at character {} ('{}') has an odd number of digits";
    ErrHexMissing: "十六进制有误：第 {} 个字符处的 0x 后面缺少数字", "Bad hex: 0x at character {} has no digits";
    ErrEscUnknown: "转义符有误：第 {} 个字符处的 \\{} 不认识（可用 \\r \\n \\t \\\\ \\0 \\xHH）", "Bad escape at character {}: \\{} is unknown (use \\r \\n \\t \\\\ \\0 \\xHH)";
    ErrEscHex: "转义符有误：第 {} 个字符处的 \\x{} 需要正好两位十六进制数字", "Bad escape at character {}: \\x{} needs exactly two hex digits";
    ErrEscTrailing: "转义符有误：第 {} 个字符是末尾单独的反斜杠，反斜杠本身请写 \\\\", "Bad escape at character {}: a lone backslash at the end; write \\\\ for a backslash";
    ErrGbk: "GBK 无法表示第 {} 个字符 “{}”", "GBK cannot encode character {} ('{}')";
    ErrEmpty: "没有要发送的内容", "Nothing to send";
    ErrNotOpen: "请先打开连接", "Open a connection first";
    ErrNoClients: "没有客户端连接，无法发送", "No client is connected: nothing was sent";
    ErrNoSelection: "没有选中客户端", "No client is selected";
    ErrNoRemote: "请填写远程主机和端口", "Fill in the remote host and port";
    ErrInterval: "间隔必须是 1 到 86400000 之间的毫秒数（最长 24 小时）", "Interval must be 1 to 86400000 ms (24 hours)";
    ErrLoopCount: "次数必须是正整数，留空表示一直发送", "Times must be a whole number from 1, or empty to send until stopped";
    // Engine errors, with the likely fix
    NetAddrInUse: "{} 已被占用：另一个程序（或另一个网络调试助手）正在使用这个端口，换一个端口或关闭它", "{} is already in use: another program is using this port; pick another port or close that program";
    NetAddrNotAvail: "{} 不是本机的地址：请从下拉列表中选择本机地址", "{} is not an address of this machine: pick one from the list";
    NetPermission: "没有权限使用 {}：1024 以下的端口需要管理员权限，换一个大于 1024 的端口", "Permission denied for {}: ports below 1024 need administrator rights; use a port above 1024";
    NetRefused: "{} 上没有程序在监听：请先启动你的服务器", "Nothing is listening on {}: start your server first";
    NetHostNotFound: "找不到主机 {}：检查拼写，或直接填 IP 地址", "Host {} not found: check the spelling or type an IP address";
    NetTimeout: "连接 {} 超时：检查地址和防火墙", "Connecting to {} timed out: check the address and the firewall";
    NetNoRemote: "没有发送目标：填写远程地址，或等对方先发来数据", "Nowhere to send: fill in the remote address, or wait until someone sends first";
    NetQueueFull: "{} 没有读取数据，本次 {} 字节未发送", "{} is not reading: {} bytes were not sent";
    NetTooLarge: "UDP 数据报最多 65507 字节，这次有 {} 字节", "A UDP datagram holds at most 65507 bytes; this one has {}";
    NetFamily: "本地地址 {} 与远程 {} 的 IP 版本不同（IPv4/IPv6）", "Local address {} and remote {} are different IP versions (IPv4/IPv6)";
    NetOther: "{}", "{}";
    // Files
    NoDialog: "没有可用的文件对话框，已保存到 {}", "No file dialog available; saved to {}";
    Saved: "已保存 {}", "Saved {}";
    FileError: "文件错误：{}", "File error: {}";
}

/// Fills `{}` placeholders in order.
pub fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(i) = rest.find("{}") {
        out.push_str(&rest[..i]);
        match args.next() {
            Some(a) => out.push_str(&a.to_string()),
            None => out.push_str("{}"),
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings that are the same in both languages on purpose.
    const SAME: &[T] = &[T::Udp, T::NetOther];

    #[test]
    fn every_key_has_both_languages() {
        for &key in T::ALL {
            let (zh, en) = (key.get(Lang::Zh), key.get(Lang::En));
            assert!(!zh.trim().is_empty(), "{key:?} has no Chinese");
            assert!(!en.trim().is_empty(), "{key:?} has no English");
            if !SAME.contains(&key) {
                assert_ne!(zh, en, "{key:?} is not translated");
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{key:?}: Chinese text has no Chinese characters: {zh}"
                );
            }
            assert_eq!(
                zh.matches("{}").count(),
                en.matches("{}").count(),
                "{key:?}: placeholders differ"
            );
        }
    }

    #[test]
    fn fill_in_order() {
        assert_eq!(fill("a {} b {}", &[&1, &"x"]), "a 1 b x");
        assert_eq!(fill("{}", &[]), "{}");
    }
}
