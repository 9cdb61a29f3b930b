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
    RelayMode: "TCP 中转", "TCP Relay";
    UdpRelayMode: "UDP 中转", "UDP Relay";
    TargetHost: "目标服务器地址", "Target server host";
    TargetPort: "目标服务器端口", "Target server port";
    ListenPort: "监听端口（客户端连这里）", "Listen port (clients connect here)";
    Faults: "故障注入", "Faults";
    FaultsApplyTo: "作用于", "Apply to";
    FaultsUp: "客户端→服务器", "Client→server";
    FaultsDown: "服务器→客户端", "Server→client";
    FaultsBoth: "双向", "Both ways";
    FaultSlice: "切片（每片字节数）", "Slice (bytes per piece)";
    FaultSliceRandom: "随机大小 1…N", "Random sizes 1…N";
    FaultSliceGap: "片间隔（毫秒）", "Gap between pieces (ms)";
    FaultDelay: "延迟（毫秒）", "Delay (ms)";
    FaultJitter: "抖动（毫秒）", "Jitter (ms)";
    FaultRate: "限速（字节/秒）", "Rate (bytes/s)";
    FaultEndAfter: "转发 N 字节后", "After N bytes";
    FaultEndHow: "然后", "then";
    FaultEndClose: "关闭（FIN）", "close (FIN)";
    FaultEndReset: "重置（RST）", "reset (RST)";
    FaultEndBlackhole: "黑洞（不再转发）", "blackhole (forward nothing more)";
    FaultDrop: "丢弃（%）", "Drop (%)";
    FaultDuplicate: "重复（%）", "Duplicate (%)";
    FaultReorder: "乱序（%）", "Reorder (%)";
    UdpIdle: "客户端空闲超时（秒）", "Client idle timeout (s)";
    FaultsApply: "应用故障设置", "Apply faults";
    FaultsHint: "空着的项不生效。中转运行时改了设置，点“应用故障设置”，之后读到的数据按新设置处理。", "Empty fields are off. While the relay runs, change them and click Apply faults: data read from then on follows them.";
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
    RelayingOn: "正在中转：监听 {}", "Relaying: listening on {}";
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
    EvDisconnected: "我方关闭了连接", "we closed the connection";
    EvClosed: "已关闭", "closed";
    EvReceiveBuffer: "接收缓冲区 {} 字节（申请了 {} 字节）", "receive buffer {} bytes (asked for {})";
    // Relay
    EvServerConnected: "已替客户端连接服务器 {}，本地 {}", "connected to the server {} from {}";
    EvServerUnreachable: "连接服务器失败：{}；已关闭客户端的连接", "could not connect to the server: {}; the client's connection was closed";
    EvRelayFinClient: "客户端发送完毕（FIN），已转告服务器（半关闭）", "the client finished sending (FIN); passed on to the server as a half-close";
    EvRelayFinServer: "服务器发送完毕（FIN），已转告客户端（半关闭）", "the server finished sending (FIN); passed on to the client as a half-close";
    EvRelayResetClient: "客户端重置了连接（RST），服务器那边也已重置", "the client reset the connection (RST); the server's was reset too";
    EvRelayResetServer: "服务器重置了连接（RST），客户端那边也已重置", "the server reset the connection (RST); the client's was reset too";
    EvFaultSliced: "{}：切成 {} 段，每段最多 {} 字节", "{}: sliced into {} pieces of at most {} bytes";
    EvFaultClosed: "{}：转发 {} 字节后按设置关闭（双方 FIN）", "{}: closed (FIN to both sides) after {} bytes, as asked";
    EvFaultReset: "{}：转发 {} 字节后按设置重置（双方 RST）", "{}: reset (RST to both sides) after {} bytes, as asked";
    EvFaultBlackhole: "{}：转发 {} 字节后按设置不再转发（连接保持）", "{}: blackholed (nothing more forwarded, connections kept) after {} bytes, as asked";
    EvFaultDropped: "{}：按设置丢弃了 {} 个数据报", "{}: dropped {} datagrams, as asked";
    EvFaultDuplicated: "{}：按设置把 {} 个数据报发了两次", "{}: sent {} datagrams twice, as asked";
    EvFaultReordered: "{}：按设置把 {} 个数据报压后到下一个之后", "{}: held {} datagrams back behind the next, as asked";
    EvRewritten: "{}：被规则 {} 改写（{} 处，{} → {} 字节）：{}", "{}: rewritten by rule {} ({} replaced, {} → {} bytes): {}";
    EvRewriteFailed: "{}：规则 {} 没能改写：{}；已原样转发", "{}: rule {} could not rewrite: {}; forwarded as read";
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
    RelayRulesNote: "中转里的规则不回复：它把匹配到的字节替换成“回复”的内容再转发（回显 = 保留或转大写）。", "In a relay, rules do not answer: each one replaces the bytes it matches with its reply before forwarding (echo keeps or upper-cases them).";
    RuleWay: "方向", "Direction";
    RuleWayBoth: "双向", "Both ways";
    RuleWayUp: "C→S 客户端到服务器", "C→S client to server";
    RuleWayDown: "S→C 服务器到客户端", "S→C server to client";
    RuleReplaceWith: "替换为", "Replace with";
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
    ClientFilter: "按地址筛选", "Filter by address";
    ClientFilterHint: "只列出地址里含有这些文字的客户端，例如 127.0.0.3 或 :40", "List only the clients whose address contains this text, e.g. 127.0.0.3 or :40";
    ClientShown: "显示 {} 个，共 {} 个", "showing {} of {}";
    OneClient: "1 个客户端", "1 client";
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
    SystemDropped: "系统丢弃：{}", "lost by the system: {}";
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
    ErrFaultNumber: "“{}”不是一个非负整数", "'{}' is not a whole number (0 or more)";
    ErrFaultPercent: "百分比应在 0 到 100 之间，不是 {}", "A percentage is 0 to 100, not {}";
    ErrFaultSlice: "切片至少要 1 字节", "A slice is at least 1 byte";
    ErrFaultRate: "限速至少要每秒 1 字节", "A rate is at least 1 byte per second";
    ErrUdpIdle: "空闲超时应是至少 1 的秒数，不是“{}”", "The idle timeout is a number of seconds, at least 1, not '{}'";
    ErrTlsCertKey: "证书和私钥要一起填，或者都空着", "Give both the certificate and its key, or neither";
    ErrTlsNoConfigDir: "没有配置目录可以保存自签名证书：请填写证书和私钥", "There is no configuration folder to keep a self-signed certificate in: give a certificate and key";
    ErrTlsAlpn: "“{}”不是协议名（1 到 255 字节）", "'{}' is not a protocol name (1 to 255 bytes)";
    TlsHeader: "TLS 加密", "TLS";
    TlsUse: "使用 TLS", "Use TLS";
    TlsRelayListen: "对客户端使用 TLS（中转出示证书）", "TLS to the clients (the relay presents a certificate)";
    TlsRelayUpstream: "对服务器使用 TLS（日志里是明文）", "TLS to the server (the log shows it in clear)";
    TlsCertServer: "证书文件（PEM，空=自签名）", "Certificate file (PEM; empty: self-signed)";
    TlsCertClient: "客户端证书文件（PEM，可空）", "Client certificate file (PEM, optional)";
    TlsKey: "私钥文件（PEM）", "Private key file (PEM)";
    TlsClientCa: "要求客户端证书：CA 文件（可空）", "Require client certificates: CA file (optional)";
    TlsCa: "CA 文件（空=系统信任的根证书）", "CA file (empty: the system's trusted roots)";
    TlsInsecure: "忽略证书错误（不安全，仅供测试）", "Ignore certificate errors (insecure: testing only)";
    TlsSni: "SNI 名称（空=主机名）", "SNI name (empty: the host)";
    TlsAlpn: "ALPN（逗号分隔）", "ALPN (comma-separated)";
    TlsVersion: "TLS 版本", "TLS version";
    TlsVersionBoth: "1.2 和 1.3", "1.2 and 1.3";
    TlsVersion12: "只用 1.2", "1.2 only";
    TlsVersion13: "只用 1.3", "1.3 only";
    TlsKeylog: "密钥日志文件（SSLKEYLOGFILE，可空）", "Key log file (SSLKEYLOGFILE, optional)";
    TlsKeylogWarn: "注意：密钥日志文件里是会话密钥，拿到它的人能解密这些流量。用完请删除。", "Careful: the key log file holds the session keys; anyone who has it can decrypt this traffic. Delete it when done.";
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
    NetSendingFinished: "已对 {} 结束发送（FIN），这个连接上不能再发送", "Sending to {} has been finished (FIN): nothing more can be sent on this connection";
    NetOther: "{}", "{}";
    // Files
    NoDialog: "没有可用的文件对话框，已保存到 {}", "No file dialog available; saved to {}";
    Saved: "已保存 {}", "Saved {}";
    FileError: "文件错误：{}", "File error: {}";
    // Teaching
    FinishSending: "结束发送（FIN）", "Finish sending (FIN)";
    FinishHint: "发出 FIN：告诉对方我方不再发送（半关闭），对方的 recv() 会返回 b''，但它仍可继续发来数据", "Send a FIN: tell the peer we send nothing more (half-close). Its recv() returns b'', and it can still send to us";
    FinishSelected: "对选中的结束发送（FIN）", "Finish sending to selected (FIN)";
    ClientPeerFinished: "对方已结束发送", "peer finished";
    ClientWeFinished: "我方已结束发送", "we finished";
    ClientPeerFin: "对方已 FIN", "peer FIN";
    ClientWeFin: "我方已 FIN", "our FIN";
    EvWeFinished: "我方结束发送：排在前面的数据发完后发出 FIN（半关闭）", "we finish sending: our FIN follows the data queued before it (half-close)";
    EvEncodingHint: "这个对端发来的是 {}，而你发送用的是 {}：把发送编码改成 {}", "this peer sends {}, but you send {}: set the send encoding to {}";
    ExWhy: "为什么：", "Why: ";
    ExFix: "怎么办：", "What to do: ";
    ExClick: "点击这一行可展开或收起说明", "Click the row to show or hide the explanation";
    ExOpenedServerWhy: "服务器套接字已绑定这个地址并开始监听（bind + listen），客户端现在可以连接。0.0.0.0 表示本机的所有地址。", "The server socket is bound to this address and listening (bind + listen): clients can connect now. 0.0.0.0 means every address of this machine.";
    ExOpenedServerFix: "让你的客户端连接这个端口；在同一台电脑上用 127.0.0.1。", "Point your client at this port; on the same computer use 127.0.0.1.";
    ExOpenedClientWhy: "已连上服务器：connect() 完成了三次握手。显示的是我方地址，端口由系统分配。", "Connected to the server: connect() finished the three-way handshake. The address shown is ours; the system picked its port.";
    ExOpenedClientFix: "现在可以发送，服务器的回复会显示在这里。", "You can send now; the server's replies show here.";
    ExOpenedUdpWhy: "UDP 套接字已绑定这个地址（bind）。UDP 没有连接，任何程序都可以直接把数据报发到这里。", "The UDP socket is bound to this address (bind). UDP has no connections: any program can send datagrams here.";
    ExOpenedRelayWhy: "中转已在这个地址监听（listen）。每个连进来的客户端，NetAssist 都替它连接目标服务器，两个方向的数据都原样转发并记在这里。", "The relay is listening on this address (listen). For each client that connects, NetAssist connects to the target server on its behalf, forwards both directions unchanged and logs them here.";
    ExOpenedRelayFix: "让你的客户端连接这个端口（而不是服务器的端口）；你的服务器要先在目标端口上运行。", "Point your client at this port (instead of the server's port); your server must already be running on the target port.";
    ExOpenedUdpRelayWhy: "UDP 中转已绑定这个地址。每个发来数据报的客户端地址各用一个到目标的套接字，数据报原样转发，边界不变。", "The UDP relay is bound to this address. Each client address that sends here gets its own socket towards the target; datagrams are forwarded unchanged, boundaries kept.";
    ExOpenedUdpRelayFix: "让你的客户端 sendto() 这个端口（而不是服务器的端口）；服务器的回复会从这里回到客户端。", "Have your client sendto() this port (instead of the server's port); the server's replies come back to the client from here.";
    ExOpenedUdpFix: "让对方程序 sendto() 到这个端口；要发给它，填写远程地址，或等它先发来。", "Have the other program sendto() this port; to send to it, fill in the remote address or wait until it sends first.";
    ExAcceptedWhy: "一个客户端连了进来：三次握手已完成，服务器的 accept() 返回了它。", "A client connected: the three-way handshake finished and the server's accept() returned it.";
    ExAcceptedFix: "它发来的数据会显示在这里；右边的客户端列表可以只发给它、对它结束发送或断开它。", "What it sends shows here; the client list on the right can send to it alone, finish sending to it, or drop it.";
    ExConnectedWhy: "我方的连接已建立：三次握手完成，connect() 返回。", "Our connection is up: the three-way handshake finished and connect() returned.";
    ExConnectedFix: "现在可以发送；服务器先说话的话（例如问候），它的数据会马上显示。", "You can send now; if the server speaks first (a greeting), its data shows at once.";
    ExPeerFinishedWhy: "对方调用了 shutdown(SHUT_WR) 或 close()，发来 FIN：我方读到 0 字节，这就是 Python 里 recv() 返回 b'' 的意思。对方也许还在读我们发的数据。", "The peer called shutdown(SHUT_WR) or close() and sent a FIN: our read returned 0 bytes, which is what recv() returning b'' means in Python. The peer may still read what we send.";
    ExPeerFinishedFix: "你的程序里 recv() 返回 b'' 时就该停止读取并关闭。NetAssist 默认在回复发完后也结束发送（在自动回复页可以改）。", "In your program, stop reading and close when recv() returns b''. NetAssist finishes its side too once its replies are out (the Auto-reply page can change that).";
    ExClosedByPeerWhy: "双方都发出了 FIN，连接正常结束（四次挥手）。", "Both sides sent a FIN: the connection ended normally (the four-way close).";
    ExClosedByPeerFix: "不需要处理；要再通信就重新连接。", "Nothing to fix; connect again to talk again.";
    ExResetWhy: "对方发来 RST：它在还有未读数据时关闭了套接字、程序异常退出，或者我们往一个它已经关闭的连接上发了数据。", "The peer sent an RST: it closed its socket with data still unread, its program ended abnormally, or we sent to a connection it had already closed.";
    ExResetFix: "让对方读完数据再 close()。Python 里这会表现为 ConnectionResetError；重新连接即可继续。", "Have the peer read everything before close(). In Python this shows as ConnectionResetError; connect again to go on.";
    ExDisconnectedWhy: "这个连接是我方关闭的：点了断开或关闭，或者规则里勾了“然后关闭连接”。", "We closed this connection: Disconnect or Close was clicked, or a rule says Then close.";
    ExDisconnectedFix: "对方的 recv() 会返回 b''；要继续就重新连接。", "The peer's recv() returns b''; connect again to go on.";
    ExWeFinishedWhy: "我方做了相当于 shutdown(SHUT_WR) 的事：已经排队的数据照常发出，接着发出 FIN；之后不再发送，但仍然接收对方的数据。", "We did what shutdown(SHUT_WR) does: data already queued still goes out, then our FIN; after that we send nothing more, but still receive.";
    ExWeFinishedFix: "对方的 recv() 现在返回 b''；等它也结束发送，连接就正常关闭。", "The peer's recv() now returns b''; once it finishes too, the connection closes normally.";
    ExReceiveBufferWhy: "接收缓冲区存放已经到达、程序还没读走的数据报。NetAssist 打开 UDP 时申请 4 MiB，好接住设备和传感器一阵一阵发来的小数据报。系统可能给得少一些（Linux 最多给到 net.core.rmem_max）；Linux 报告的数值把它自己的记账开销也算在内，是申请数的两倍。", "The receive buffer holds datagrams that have arrived but that the program has not read yet. NetAssist asks for 4 MiB when it opens UDP, to catch the bursts of small datagrams devices and sensors send. The system may grant less (Linux at most net.core.rmem_max); Linux reports a size that counts its own bookkeeping too, twice what was asked.";
    ExReceiveBufferFix: "一般不用管。如果状态栏出现“系统丢弃”，说明突发超出了缓冲区：Linux 上可以用 sudo sysctl -w net.core.rmem_max=8388608 放宽上限，再重新打开。自己写接收程序时，用 setsockopt(SO_RCVBUF) 申请大一点的缓冲区，并尽快地循环 recvfrom()。", "Usually nothing. If the status bar shows \"lost by the system\", a burst was bigger than the buffer: on Linux, raise the cap with sudo sysctl -w net.core.rmem_max=8388608, then open again. In a receiver of your own, ask for a larger buffer with setsockopt(SO_RCVBUF) and call recvfrom() in a tight loop.";
    ExSystemDroppedWhy: "UDP 没有流量控制：数据报先放进接收缓冲区，等程序来读；缓冲区满了，系统就直接丢掉新来的数据报，不重传，也不告诉发送方。这些数据报在 NetAssist 读到之前就被系统丢了，所以日志里没有它们。", "UDP has no flow control: datagrams wait in the socket's receive buffer until the program reads them, and when the buffer is full the system drops new ones, with no retransmission and no word to the sender. These were dropped before NetAssist could read them, so the log does not have them.";
    ExSystemDroppedFix: "让发送方放慢，或者把一大阵拆成几小阵、中间稍停；Linux 上可以用 sudo sysctl -w net.core.rmem_max=8388608 放宽接收缓冲区的上限，再重新打开。要求一个都不能丢的数据，请在应用层加上序号和重传，或者改用 TCP。", "Have the sender slow down, or split a big burst into smaller ones with short pauses; on Linux, raise the receive buffer's cap with sudo sysctl -w net.core.rmem_max=8388608, then open again. For data that must never be lost, add sequence numbers and resending in your protocol, or use TCP.";
    ExServerConnectedWhy: "客户端连上中转后，NetAssist 替它连接了目标服务器。从此这一对连接的两个方向都会原样转发并记录（C→S 客户端到服务器，S→C 服务器到客户端）。", "After the client connected to the relay, NetAssist connected to the target server for it. From now on both directions of this pair are forwarded unchanged and logged (C→S client to server, S→C server to client).";
    ExServerConnectedFix: "让客户端发点数据，看它怎样到达服务器，服务器的回复又怎样回来。", "Have the client send something and watch it reach the server, and the server's reply come back.";
    ExRelayFinWhy: "一方调用了 shutdown(SHUT_WR) 或 close()，发出 FIN：它不再发送。中转把它原样转告另一方（半关闭），另一方仍然可以回复。", "One end called shutdown(SHUT_WR) or close() and sent FIN: it sends no more. The relay passed it on to the other end as a half-close; the other end can still answer.";
    ExRelayFinFix: "另一方的 recv() 会返回 b''：你的循环应在这时停止读取，但可以先把回复发完。", "The other end's recv() now returns b'': your loop should stop reading then, but may still send its reply first.";
    ExRelayResetWhy: "一方发出 RST 中止了连接（例如带未读数据就 close()，或 SO_LINGER 为 0）。中转也重置了另一方，和直连时一样。", "One end aborted the connection with RST (for example close() with unread data, or SO_LINGER 0). The relay reset the other end too, as a direct connection would.";
    ExRelayResetFix: "另一方会收到 ConnectionResetError：你的程序应捕获它，而不是崩溃。", "The other end gets ConnectionResetError: your program should catch it instead of crashing.";
    ExFaultSlicedWhy: "按你的设置，中转把这段数据切成小段，一段一段地发出。TCP 是字节流，没有消息边界：接收方的一次 recv() 可能只拿到一部分。", "As you asked, the relay cut this chunk into small pieces and sent them one by one. TCP is a byte stream with no message boundaries: one recv() may return only part of what was sent.";
    ExFaultSlicedFix: "如果接收方的程序因此出错，它需要循环调用 recv()，直到收齐一条完整的消息（按分隔符或长度）。", "If the receiving program fails now, it needs to call recv() in a loop until a whole message (by delimiter or length) has arrived.";
    ExFaultClosedWhy: "按你的设置，转发够了字节数后，中转向双方都发出 FIN，有序地关闭了这一对连接。", "As you asked, after the given number of bytes the relay sent FIN to both ends, closing the pair in order.";
    ExFaultClosedFix: "看双方的程序是否处理了对方提前关闭（recv() 返回 b''）。", "Check that both programs handle the other side closing early (recv() returns b'').";
    ExFaultResetWhy: "按你的设置，转发够了字节数后，中转向双方都发出 RST，中止了这一对连接。", "As you asked, after the given number of bytes the relay sent RST to both ends, aborting the pair.";
    ExFaultResetFix: "看双方的程序是否捕获了 ConnectionResetError，而不是崩溃。", "Check that both programs catch ConnectionResetError instead of crashing.";
    ExFaultBlackholeWhy: "按你的设置，转发够了字节数后，中转不再转发这个方向的数据，但连接保持打开：像网络突然“卡死”。", "As you asked, after the given number of bytes the relay stopped forwarding this direction but keeps the connections open: like a network that suddenly hangs.";
    ExFaultBlackholeFix: "没有超时的 recv() 会一直等下去。给套接字设超时（settimeout）并处理 socket.timeout。", "A recv() without a timeout waits forever. Give the socket a timeout (settimeout) and handle socket.timeout.";
    ExFaultDatagramsWhy: "按你的设置，中转丢弃、重复或打乱了一些数据报。UDP 本来就不保证送达、不去重、不保序。", "As you asked, the relay dropped, duplicated or reordered some datagrams. UDP itself guarantees none of delivery, uniqueness or order.";
    ExFaultDatagramsFix: "看你的程序能否应付：超时后重发、按序号去重和排序。", "Check that your program copes: resend after a timeout, drop duplicates and reorder by sequence number.";
    ExRewrittenWhy: "中转的规则匹配上了这段数据，把匹配的部分替换后才转发给另一方。上一行是原样收到的字节，这一行是实际转发出去的。", "A relay rule matched this chunk, and the relay forwarded it with the matches replaced. The row before shows the bytes as read; this row shows what was forwarded.";
    ExRewrittenFix: "看另一方的程序怎样应对改过的数据；在自动化窗口的规则页可以修改或停用这条规则。", "Watch how the other program copes with the changed data; edit or disable the rule on the rules page of Automation.";
    ExRewriteFailedWhy: "规则匹配上了，但替换内容拼不出来（例如引用的正则分组不存在，或替换后的数据超过上限），这段数据按原样转发了。", "The rule matched, but its replacement could not be made (for example it names a regex group that does not exist, or the result would be over the limit); the chunk was forwarded as read.";
    ExRewriteFailedFix: "打开自动化窗口的规则页，检查这条规则的替换内容和它引用的占位符。", "Open the rules page of Automation and check this rule's replacement and the placeholders it uses.";
    ExClosedWhy: "本会话的套接字已关闭，不再收发数据。", "This session's socket is closed: nothing more is sent or received.";
    ExClosedFix: "点“打开”或“连接”重新开始。", "Click Open or Connect to start again.";
    ExConnErrorWhy: "系统报告这个连接出了错，连接已经结束。", "The system reported an error on this connection, and the connection ended.";
    ExConnErrorFix: "看错误文字；检查对方程序是否还在运行、网络是否正常。", "Read the error text; check that the other program still runs and the network is up.";
    ExEncodingHintWhy: "“自动”按字节判断对方用的编码。双方编码不同时，中文到了另一边就成了乱码。", "Auto tells from the bytes which encoding the peer uses. When the two sides differ, Chinese text turns into garbage on the other side.";
    ExEncodingHintFix: "把发送设置里的发送编码改成对方用的那种，或者让对方程序 encode() 和 decode() 都用同一种编码。", "Set the send encoding (Send settings) to the peer's, or make the peer encode() and decode() with one encoding.";
    RepliesDroppedCount: "丢弃的回复：{}", "replies dropped: {}";
    EvRuleFailed: "规则 {} 没能回复：{}", "rule {} could not reply: {}";
    EvDroppedPeerGone: "{} 条回复（{} 字节）没有发出：连接已经关闭", "{} replies ({} bytes) not sent: the connection had closed";
    EvDroppedTooMany: "丢弃了 {} 条等待发送的回复（{} 字节）：等待的回复太多，先丢最早的", "{} waiting replies ({} bytes) dropped: too many replies were waiting, the oldest went first";
    EvDroppedTooManyBytes: "丢弃了 {} 条等待发送的回复（{} 字节）：等待的回复占用的内存超过了上限，先丢最早的", "{} waiting replies ({} bytes) dropped: the replies waiting held more memory than a tab sets aside for them, the oldest went first";
    EvDroppedWeFinished: "{} 条回复（{} 字节）没有发出：我方已经结束了这个连接上的发送", "{} replies ({} bytes) not sent: we had finished sending on this connection";
    ExJoinedWhy: "这个 UDP 套接字在所给的网卡上加入了组播组（IP_ADD_MEMBERSHIP）：发往这个组地址和本端口的数据报从现在起会送到这里。", "This UDP socket joined the multicast group on the given interface (IP_ADD_MEMBERSHIP): datagrams sent to the group address and this port now reach it.";
    ExJoinedFix: "让发送方发往这个组地址和本端口；收不到时检查网卡是否选对、TTL 是否够大、防火墙是否放行。", "Have the sender send to this group and port; if nothing arrives, check the interface, the sender's TTL and the firewall.";
    ExLeftWhy: "这个 UDP 套接字退出了组播组（IP_DROP_MEMBERSHIP）：发往这个组的数据报不再送到这里。", "This UDP socket left the multicast group (IP_DROP_MEMBERSHIP): datagrams sent to the group no longer reach it.";
    ExLeftFix: "需要时在组播输入框里再加入一次。", "Join it again in the multicast field when you need it.";
    ExRuleFailedWhy: "规则匹配上了，但它的回复拼不出来：例如 {{3}} 引用的正则分组不存在，或者填好后的回复超过 1 MiB。", "The rule matched, but its reply could not be made: for example {{3}} names a regex group that does not exist, or the filled-in reply is over 1 MiB.";
    ExRuleFailedFix: "打开自动化窗口的规则页，检查这条规则的回复和它引用的占位符。", "Open the rules page of Automation and check this rule's reply and the placeholders it uses.";
    ExDroppedPeerGoneWhy: "规则或序列为这个连接排好了（可能带延时的）回复，但还没轮到发送，连接就已经关闭了，回复无处可发。", "A rule or sequence had queued replies for this connection (perhaps with a delay), but the connection closed before their time came: there was nowhere to send them.";
    ExDroppedPeerGoneFix: "如果对方需要这些回复，让它在读完回复之前不要关闭连接，或者把规则的延时调短。", "If the peer needs these replies, keep it connected until it has read them, or shorten the rule's delay.";
    ExDroppedBoundWhy: "等待发送的回复（例如带长延时的规则对大量数据的回复）越积越多；为了不让内存无限增长，每个标签页只保留有限的数量和字节数，超出时丢掉最早的。", "Replies waiting to be sent piled up (a rule with a long delay answering a flood, say); so memory cannot grow without bound, each tab keeps a limited number and size of them and drops the oldest beyond that.";
    ExDroppedBoundFix: "缩短规则的延时，或者让规则只匹配需要回复的数据；设置里调大内存上限也会给回复留出更多空间。", "Shorten the rule's delay, or make the rule match only the data that needs an answer; a larger memory budget in Settings also leaves more room for replies.";
    ExDroppedWeFinishedWhy: "一条“然后关闭”的规则已经让我方结束发送（发出了 FIN）；之后对方又发来数据触发了规则，但这个连接上已经不能再发送了。", "A rule with \"then close\" had finished our sending (our FIN went out); the peer then sent more and a rule answered, but nothing more can be sent on this connection.";
    ExDroppedWeFinishedFix: "如果还要继续对话，把那条规则的“然后关闭”去掉；否则让对方在收到 FIN（recv 返回 b''）后停止发送。", "To go on talking, untick \"then close\" on that rule; otherwise make the peer stop sending once it reads our FIN (recv() returns b'').";
    ExAddrInUseWhy: "这个端口已被另一个套接字占用。如果刚关闭的是你自己的服务器，它的旧连接可能还处在 TIME_WAIT 状态（一两分钟）。", "Another socket holds this port. If it is your own server that just closed, its old connections may still be in TIME_WAIT (a minute or two).";
    ExAddrInUseFix: "NetAssist 设置了 SO_REUSEADDR，可以立刻重开；你的 Python 服务器要在 bind() 之前调用 setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)。否则换一个端口，或关闭占用它的程序。", "NetAssist sets SO_REUSEADDR and reopens at once; your Python server needs setsockopt(SOL_SOCKET, SO_REUSEADDR, 1) before bind(). Otherwise pick another port or close the program that has it.";
    ExAddrNotAvailWhy: "这个 IP 地址不属于本机的任何网卡，所以无法绑定。", "This IP address belongs to none of this machine's network interfaces, so it cannot be bound.";
    ExAddrNotAvailFix: "从列表里选本机地址，或用 0.0.0.0（所有地址）、127.0.0.1（只有本机）。", "Pick one of this machine's addresses from the list, or 0.0.0.0 (all of them) or 127.0.0.1 (this machine only).";
    ExPermissionWhy: "1024 以下的端口是保留端口，普通用户不能绑定（Linux、macOS）。", "Ports below 1024 are reserved: ordinary users may not bind them (Linux, macOS).";
    ExPermissionFix: "换一个 1024 以上的端口，例如 8080，不要为此用管理员身份运行。", "Use a port above 1024, such as 8080, rather than running as administrator.";
    ExRefusedWhy: "那个地址上没有程序在监听这个端口，对方系统回了 RST（UDP 时是 ICMP“端口不可达”）。", "No program listens on that port there, so the other system answered with an RST (for UDP, an ICMP port unreachable).";
    ExRefusedFix: "先启动服务器，并检查 IP 和端口是否与服务器 bind() 的一致。", "Start the server first, and check that the IP and port match what the server bound.";
    ExHostNotFoundWhy: "DNS 和 hosts 文件里都找不到这个主机名。", "The name is neither in DNS nor in the hosts file.";
    ExHostNotFoundFix: "检查拼写，或直接填 IP 地址，例如 127.0.0.1。", "Check the spelling, or type an IP address such as 127.0.0.1.";
    ExTimeoutWhy: "连接请求（SYN）发出后一直没有回应：对方主机没开机、地址写错了，或者被防火墙丢弃了。", "Our connection request (SYN) got no answer: the host is off, the address is wrong, or a firewall dropped it.";
    ExTimeoutFix: "检查 IP 地址、对方是否开机，以及防火墙是否放行这个端口。", "Check the IP address, that the host is up, and that its firewall lets the port through.";
    ExUnreachableWhy: "找不到通往对方的网络路径：对方不在这个网络上，或者本机没有联网。", "There is no network path to the other host: it is not on this network, or this machine is offline.";
    ExUnreachableFix: "检查 IP 地址和网线或 Wi-Fi；在同一台电脑上测试请用 127.0.0.1。", "Check the IP address and the cable or Wi-Fi; on one computer use 127.0.0.1.";
    ExNoRemoteWhy: "UDP 没有连接，每次发送都要有目标地址；现在既没有填写远程地址，也还没有人发来过数据。", "UDP has no connection, so every send needs a destination; there is no remote address and nobody has sent yet.";
    ExNoRemoteFix: "填写远程主机和端口，或者等对方先发来数据（之后的发送会回给它）。", "Fill in the remote host and port, or wait until someone sends first (sends then go back to them).";
    ExNoClientsWhy: "服务器只能发给已连接的客户端，而现在一个也没有。", "A server sends to its connected clients, and none is connected.";
    ExNoClientsFix: "先运行你的客户端程序连过来，再发送。", "Run your client program so it connects, then send.";
    ExUnknownPeerWhy: "这个客户端已经断开了。", "That client has already gone.";
    ExUnknownPeerFix: "在客户端列表里选一个仍然连着的客户端。", "Pick a client that is still in the list.";
    ExQueueFullWhy: "对方没有读取数据：它的接收缓冲区和我方的发送队列都满了。", "The peer is not reading: its receive buffer and our send queue are full.";
    ExQueueFullFix: "让对方程序持续调用 recv()，或者少发一些。", "Make the peer keep calling recv(), or send less.";
    ExTooLargeWhy: "一个 UDP 数据报最多只能装 65507 字节。", "One UDP datagram holds at most 65507 bytes.";
    ExTooLargeFix: "把数据分成几次发送，或者改用 TCP。", "Split the data into several sends, or use TCP.";
    ExBadTargetWhy: "这个发送目标在当前模式下没有意义。", "That destination makes no sense in this mode.";
    ExBadTargetFix: "检查协议类型和发送目标。", "Check the protocol and the destination.";
    ExFamilyWhy: "一边是 IPv4 地址，另一边是 IPv6 地址，两者不能直接通信。", "One address is IPv4 and the other IPv6: they cannot talk to each other directly.";
    ExFamilyFix: "两边都用 IPv4（例如 127.0.0.1），或者都用 IPv6（例如 ::1）。", "Use IPv4 on both sides (e.g. 127.0.0.1), or IPv6 on both (e.g. ::1).";
    ExNotOpenWhy: "还没有打开套接字，所以不能收发数据。", "No socket is open yet, so nothing can be sent or received.";
    ExNotOpenFix: "先点“打开”或“连接”。", "Click Open or Connect first.";
    ExFinishedWhy: "我方已经发出 FIN（结束发送），这个连接上不能再发送数据。", "We already sent a FIN (finished sending): nothing more can be sent on this connection.";
    ExFinishedFix: "重新连接后再发送。", "Connect again to send more.";
    ExIntervalWhy: "循环发送的间隔必须在 1 毫秒到 24 小时之间。", "A timed send's interval must be from 1 ms to 24 hours.";
    ExIntervalFix: "输入 1 到 86400000 之间的毫秒数。", "Enter 1 to 86400000 milliseconds.";
    ExDelayWhy: "第一次发送之前最多等待 24 小时。", "The wait before the first send is at most 24 hours.";
    ExDelayFix: "输入更短的延迟。", "Enter a shorter delay.";
    ExZeroCountWhy: "次数为 0 就什么也不会发送。", "A count of 0 would send nothing.";
    ExZeroCountFix: "填 1 或更大的数，或者留空表示一直发送。", "Enter 1 or more, or leave it empty to send until stopped.";
    ExNotMulticastWhy: "组播组地址必须在 224.0.0.0 到 239.255.255.255 之间（IPv6 是 ff00::/8）。", "A multicast group is an address from 224.0.0.0 to 239.255.255.255 (IPv6: ff00::/8).";
    ExNotMulticastFix: "换一个组播地址，例如 239.1.1.1。", "Use a group address such as 239.1.1.1.";
    ExNoInterfaceWhy: "本机没有这个名字、地址或编号的网卡。", "This machine has no network interface with that name, address or index.";
    ExNoInterfaceFix: "选本机的一块网卡，或者留空让系统选择。", "Pick one of this machine's interfaces, or leave it empty to let the system choose.";
    ExGroupFamilyWhy: "绑定在 IPv4 地址上的套接字不能加入 IPv6 组播组。", "A socket bound to an IPv4 address cannot join an IPv6 group.";
    ExGroupFamilyFix: "要加入 IPv6 组播组，请绑定到 [::]。", "Bind to [::] to join IPv6 groups.";
    ExUnsupportedWhy: "当前模式没有这个功能（例如 TCP 不能加入组播组）。", "This mode does not have that feature (TCP cannot join a multicast group, for example).";
    ExUnsupportedFix: "切换到有这个功能的协议类型再试。", "Switch to the protocol that has it.";
    ExNotJoinedWhy: "这个组播组没有在那块网卡上加入过，所以无法离开。", "That group was not joined on that interface, so it cannot be left.";
    ExNotJoinedFix: "检查组地址和网卡。", "Check the group address and the interface.";
    ExIoWhy: "操作系统报告了一个错误。", "The operating system reported an error.";
    ExIoFix: "看错误文字；检查地址、端口和网络连接。", "Read the error text; check the address, the port and the network.";
    PartnerMenu: "教程伙伴", "Tutorial partner";
    PartnerMenuHint: "把当前标签页设成教程里某个程序的对方：协议、端口、编码和自动回复规则都会填好，之后可以随意修改", "Set this tab up as the other side of a tutorial program: protocol, port, encodings and auto-reply rules are filled in, and stay yours to change";
    PartnerCloseFirst: "先关闭连接，再选择教程伙伴", "Close the connection before choosing a tutorial partner";
    PartnerIs: "教程伙伴：{}", "Tutorial partner: {}";
    PartnerShowRules: "查看它的规则", "Show its rules";
    PartnerDismiss: "收起", "Dismiss";
    RuleName: "规则名称", "Rule name";
    RuleThen: "接着发送", "then send";
    RuleAddPart: "再加一段", "Add a part";
    RuleRemovePart: "去掉这段", "Remove this part";
    RuleEncoding: "回复编码", "Reply encoding";
    RuleEncodingSession: "同发送设置", "As send settings";
    CopyPython: "复制为 Python…", "Copy as Python…";
    CopyPythonHint: "生成一段与本会话通信的 Python 3 程序（教程风格，只用 socket 模块）", "A Python 3 program that talks to this session (tutorial style, the socket module only)";
    PyTitle: "复制为 Python：与本会话通信的程序", "Copy as Python: a program that talks to this session";
    PyCopy: "复制", "Copy";
    PySave: "另存为 .py…", "Save as .py…";
    PyCopied: "已复制到剪贴板", "Copied to the clipboard";
    PyRun: "保存后运行：python3 {}", "Save it, then run: python3 {}";
    PyFixFields: "先改正网络设置里标出的字段", "Fix the network settings first";
    PyPortNotKnown: "端口为 0 时由系统在打开时选定：请先打开", "Port 0 is chosen when the session opens: open it first";
    PyRoleClient: "TCP 客户端（连接本服务器）", "TCP client (connects to this server)";
    PyRoleServer: "TCP 服务器（本客户端连接它）", "TCP server (this client connects to it)";
    PyRoleSender: "UDP 发送方（发给本会话）", "UDP sender (sends to this session)";
    PyRoleReceiver: "UDP 接收方（收本会话发出的数据）", "UDP receiver (gets what this session sends)";
    PyRoleWsClient: "WebSocket 客户端（连接本服务器，需要 websockets 包）", "WebSocket client (connects to this server; needs the websockets package)";
    PyRoleWsServer: "WebSocket 服务器（本客户端连接它，需要 websockets 包）", "WebSocket server (this client connects to it; needs the websockets package)";
    FramingLabel: "分帧", "Framing";
    FramingLabelHint: "把收到的字节按规则分成一条条消息来显示；只改变显示，原始数据照常保存", "Show received bytes grouped into messages by a rule; only the view changes, the raw data is kept and saved as it came";
    FramingOff: "不分帧：每次读取一行", "Off: one row per read";
    FramingLf: "按分隔符 \\n", "Delimiter \\n";
    FramingCrLf: "按分隔符 \\r\\n", "Delimiter \\r\\n";
    FramingHex: "按自定义分隔符（十六进制）", "Custom delimiter (hex)";
    FramingFixed: "固定长度", "Fixed length";
    FramingPrefix: "长度前缀", "Length prefix";
    FramingGap: "空闲间隔", "Idle gap";
    FramingDelimiterField: "分隔符（十六进制）", "Delimiter (hex)";
    FramingLengthField: "每条消息的字节数", "Bytes per message";
    FramingPrefixBytes: "前缀字节数", "Prefix bytes";
    FramingBig: "大端（网络字节序）", "Big endian (network order)";
    FramingLittle: "小端", "Little endian";
    FramingCountsHeader: "长度包含前缀本身", "Length counts the prefix";
    FramingGapField: "静默多久算一条消息结束（毫秒）", "Silence that ends a message (ms)";
    ErrFramingDelimiter: "分隔符要有 1 到 {} 个字节", "A delimiter has 1 to {} bytes";
    ErrFramingLength: "长度必须是 1 到 {} 之间的整数", "The length must be a whole number from 1 to {}";
    ErrFramingGap: "间隔必须是 1 到 {} 之间的毫秒数", "The gap must be 1 to {} ms";
    FramingReads: "{} 次读取", "{} reads";
    FramingOneRead: "1 次读取", "1 read";
    FramingSplit: "跨读取", "split";
    FramingSplitHint: "这条消息分在几次读取（recv）里到达", "This message arrived in several reads (recv calls)";
    FramingIncomplete: "未完整", "incomplete";
    FramingIncompleteHint: "还在等这条消息剩下的字节", "Still waiting for the rest of this message";
    FramingUnfinished: "连接结束时未完整", "cut short by the close";
    FramingTooLong: "前缀声明 {} 字节，超出上限", "prefix says {} bytes: over the limit";
    FramingTooShort: "前缀声明 {} 字节，比前缀本身还短", "prefix says {} bytes: shorter than itself";
    FramingOverLimit: "超过上限仍未结束，已截断", "no end within the limit: cut";
    FramingWorking: "正在分帧：已处理 {} / {} 条记录", "Framing: {} of {} records";
    FramingHint: "TCP 是字节流，没有消息边界：一次 send 可能要几次 recv 才收完，几次 send 也可能一次就收到。", "TCP is a byte stream with no message boundaries: one send may take several recv() calls, and several sends may arrive in one.";
    FramingRxOnly: "只显示收到的数据，按对端分帧；原始读取照常保存。", "Received data only, framed per peer; the raw reads are kept and saved as they came.";
    FramingNone: "还没有完整的消息", "No complete message yet";
    ShowDelta: "显示间隔 Δt", "Show Δt";
    DeltaHint: "每一行与本会话上一行相隔的时间", "Time since the previous row of this session";
    ShowRtt: "显示往返时间 RTT", "Show round trip (RTT)";
    RttHint: "从发给某个对端，到收到它随后第一份数据所用的时间", "Time from a send to a peer until the first data it sent back";
    RttTag: "RTT {}", "RTT {}";
    // TLS events and their words
    EvTlsServerReady: "TLS 已就绪：证书 {}，有效期至 {}，SHA-256 {}", "TLS ready: certificate {}, valid until {}, SHA-256 {}";
    EvTlsSelfSignedKept: "自签名证书保存在 {}（沿用上次的）", "self-signed certificate kept in {} (the one made before)";
    EvTlsSelfSignedNew: "新生成的自签名证书保存在 {}", "new self-signed certificate kept in {}";
    EvTlsEstablished: "TLS 握手完成：{}，{}", "TLS handshake done: {}, {}";
    TlsChainCert: "证书链 {}：{}，签发者 {}，有效期 {} 至 {}，SHA-256 {}，名称 {}", "Chain certificate {}: {}, issuer {}, valid {} to {}, SHA-256 {}, names {}";
    EvTlsAlpn: "ALPN {}", "ALPN {}";
    EvTlsSni: "SNI {}", "SNI {}";
    EvTlsNoPeerCert: "对方没有出示证书", "the peer showed no certificate";
    EvTlsPeerCert: "对方证书 {}（颁发者 {}，有效期至 {}，SHA-256 {}）", "peer certificate {} (issuer {}, valid until {}, SHA-256 {})";
    EvTlsFailed: "TLS 失败：{}", "TLS failed: {}";
    EvServerTlsFailed: "与服务器 {} 的 TLS 失败：{}", "TLS with the server {} failed: {}";
    EvTlsByPeer: "对方报告：{}", "the peer says: {}";
    EvTlsHelloOnPlain: "这看起来是 TLS 握手（ClientHello）：对方在用 TLS，请打开 TLS", "this looks like a TLS handshake (ClientHello): the peer speaks TLS, turn TLS on";
    TlsKindUnknownIssuer: "证书是自签名的，或者由不受信任的 CA 签发", "the certificate is self-signed or from a CA that is not trusted";
    TlsKindName: "证书不是颁发给 {} 的（它属于 {}）", "the certificate is not for {} (it is for {})";
    TlsKindExpired: "证书已过期", "the certificate has expired";
    TlsKindNotYetValid: "证书还没到生效时间", "the certificate is not valid yet";
    TlsKindVersion: "双方没有共同支持的 TLS 版本", "no TLS version in common";
    TlsKindCipher: "双方没有共同支持的加密套件", "no cipher suite in common";
    TlsKindClientCert: "服务器要求客户端证书，但客户端没有提供", "the server asked for a client certificate and none was given";
    TlsKindNotTls: "对方说的不是 TLS，它发来：{}", "the peer is not speaking TLS; it sent: {}";
    TlsKindClosed: "握手还没完成，对方就关闭了连接", "the peer closed the connection during the handshake";
    TlsKindAlert: "对方发来警报 {}", "the peer sent the alert {}";
    TlsKindOther: "其他错误：{}", "other error: {}";
    // TLS errors
    NetTlsFile: "证书或密钥文件 {}：{}", "certificate or key file {}: {}";
    TlsProbUnreadable: "无法读取（{}）", "cannot be read ({})";
    TlsProbTooLarge: "太大（{} 字节），不像证书或密钥文件", "is too large ({} bytes) for a certificate or key file";
    TlsProbNotPem: "不是 PEM 格式（没有 -----BEGIN ...----- 行）", "is not PEM (no -----BEGIN ...----- line)";
    TlsProbNotPemDer: "不是 PEM 格式：看起来是二进制 DER，可以用 openssl x509 -inform der -outform pem 转换", "is not PEM: it looks like binary DER; convert it with openssl x509 -inform der -outform pem";
    TlsProbBadPem: "PEM 块已损坏（{}）", "has a broken PEM block ({})";
    TlsProbNoCert: "里面没有证书（没有 -----BEGIN CERTIFICATE----- 块）", "holds no certificate (no -----BEGIN CERTIFICATE----- block)";
    TlsProbBadCert: "第 {} 个证书不是有效的 X.509 证书（{}）", "certificate #{} in it is not a valid X.509 certificate ({})";
    TlsProbNoKey: "里面没有私钥（没有 -----BEGIN PRIVATE KEY----- 块）", "holds no private key (no -----BEGIN PRIVATE KEY----- block)";
    TlsProbBadKey: "私钥无法使用（{}）", "holds a private key that cannot be used ({})";
    TlsProbKeyMismatch: "私钥和证书不是一对", "holds a private key that does not match the certificate";
    TlsProbUnwritable: "无法写入（{}）", "cannot be written ({})";
    NetTlsName: "“{}” 不是域名或 IP 地址，无法用来核对证书", "'{}' is not a DNS name or an IP address, so a certificate cannot be checked against it";
    NetTlsNoRoots: "本机找不到受信任的根证书（{}）：请指定 CA 文件", "no trusted root certificates were found on this system ({}): give a CA file";
    NetTlsSetup: "TLS 设置无法使用：{}", "the TLS settings cannot be used: {}";
    NetKeyLog: "无法写入 TLS 密钥日志文件 {}（{}），本会话不再记录密钥", "cannot write the TLS key log file {} ({}); no more keys are logged this session";
    // TLS explanations
    ExTlsReadyWhy: "服务器会在每个连接上先做 TLS 握手，再收发数据；客户端靠这张证书确认连上的是我们。指纹（SHA-256）可以用来和对方看到的证书逐字核对。", "The server does a TLS handshake on every connection before any data; clients check this certificate to know it is us. The SHA-256 fingerprint lets you compare it, character by character, with what the client sees.";
    ExTlsReadyFix: "自签名证书不受任何人信任：让客户端把证书文件当作 CA 文件（Python：load_verify_locations，openssl：-CAfile），或者在客户端关闭证书校验来测试。", "No one trusts a self-signed certificate: give the certificate file to the client as its CA file (Python: load_verify_locations, openssl: -CAfile), or turn certificate checks off in the client to test.";
    ExTlsEstablishedWhy: "TLS 握手完成：双方商定了版本和加密套件，证书也通过了校验。之后收发的都是解密后的明文，线路上传的是密文。", "The TLS handshake finished: both sides agreed on a version and a cipher suite, and the certificate passed its checks. What is shown from now on is the decrypted plaintext; the wire carries ciphertext.";
    ExTlsEstablishedFix: "现在可以收发数据。要在 Wireshark 里看到明文，打开密钥日志（SSLKEYLOGFILE 格式）并在 Wireshark 的 TLS 设置里指定它。", "You can send now. To see the plaintext in Wireshark, turn on the key log (SSLKEYLOGFILE format) and give it to Wireshark's TLS settings.";
    ExTlsHelloWhy: "对方发来的头几个字节是 16 03 0x……，这是 TLS 握手记录（ClientHello）：对方在用 TLS（例如 https 或 ssl.wrap_socket），而这里是普通 TCP，所以看到的是一堆乱码。", "The peer's first bytes are 16 03 0x…, a TLS handshake record (ClientHello): the peer speaks TLS (https, or ssl.wrap_socket) while this session is plain TCP, so its bytes look like garbage.";
    ExTlsHelloFix: "在本会话打开 TLS 再重新打开；或者让对方改用普通 TCP 连接。", "Turn TLS on for this session and open it again, or have the peer connect with plain TCP.";
    ExTlsUnknownIssuerWhy: "对方的证书是自签名的，或者由我们不信任的 CA 签发，所以无法确认对方的身份。", "The peer's certificate is self-signed or from a CA we do not trust, so who it is cannot be checked.";
    ExTlsUnknownIssuerFix: "指定签发它的 CA 文件（自签名时就是那张证书本身）；只是测试的话，勾选“忽略证书错误”。", "Give its CA file (for a self-signed certificate, the certificate itself), or tick Ignore certificate errors to test.";
    ExTlsUnknownIssuerPeerWhy: "对方不信任我们的证书（它发来 unknown_ca 警报）：证书是自签名的，或者由对方不认识的 CA 签发。", "The peer does not trust our certificate (it sent the alert unknown_ca): it is self-signed or from a CA the peer does not know.";
    ExTlsUnknownIssuerPeerFix: "把我们的证书（或它的 CA）交给对方作为受信任的 CA（Python：load_verify_locations，openssl：-CAfile），或者在对方关闭证书校验来测试。", "Give the peer our certificate (or its CA) to trust (Python: load_verify_locations, openssl: -CAfile), or turn certificate checks off there to test.";
    ExTlsNameWhy: "证书里写的名字（或 IP 地址）和我们连接时用的不一样，所以它可能是别人的证书。", "The names (or IP addresses) in the certificate are not the one we connected to, so it may be someone else's.";
    ExTlsNameFix: "用证书里的名字连接（例如 localhost 而不是 127.0.0.1），或者把 SNI 设成证书里的名字。", "Connect by a name in the certificate (say localhost rather than 127.0.0.1), or set SNI to that name.";
    ExTlsExpiredWhy: "证书的有效期已经结束，或者本机或对方的时钟不对。", "The certificate's validity period has ended, or this computer's or the peer's clock is wrong.";
    ExTlsExpiredFix: "换一张新证书并检查两边的时钟；只是测试的话，勾选“忽略证书错误”。", "Renew the certificate and check both clocks, or tick Ignore certificate errors to test.";
    ExTlsNotYetWhy: "证书的生效时间还没到：证书是刚签发的而时钟偏慢，或者时钟设错了。", "The certificate's validity has not started: it was just issued and a clock is behind, or a clock is wrong.";
    ExTlsNotYetFix: "校准两边的时钟；只是测试的话，勾选“忽略证书错误”。", "Set both clocks right, or tick Ignore certificate errors to test.";
    ExTlsVersionWhy: "双方允许的 TLS 版本没有交集，例如一边只允许 1.2，另一边只允许 1.3。", "The two sides allow no TLS version in common: one allows only 1.2, say, and the other only 1.3.";
    ExTlsVersionFix: "两边必须允许同一个 TLS 版本：都选“1.2 和 1.3”最省事。", "Both sides must allow the same TLS version: choosing 1.2 and 1.3 on both is simplest.";
    ExTlsCipherWhy: "双方没有共同支持的加密套件（或密钥交换、签名算法），例如对方只允许很旧或很少见的算法。", "The two sides accept no cipher suite (or key exchange or signature scheme) in common: the peer may allow only old or rare ones.";
    ExTlsCipherFix: "让对方允许常见的现代套件（AES-GCM、ChaCha20-Poly1305，ECDHE 密钥交换）。", "Let the peer allow the common modern suites (AES-GCM, ChaCha20-Poly1305, with ECDHE key exchange).";
    ExTlsClientCertWhy: "本服务器开启了双向 TLS，要求每个客户端出示证书，而这个客户端没有出示。", "This server uses mutual TLS and asks every client for a certificate; this client gave none.";
    ExTlsClientCertFix: "给客户端配置由客户端 CA 签发的证书和私钥（Python：load_cert_chain，openssl：-cert 和 -key），或者在服务器上关闭客户端证书。", "Give the client a certificate and key signed by the client CA (Python: load_cert_chain, openssl: -cert and -key), or turn client certificates off on the server.";
    ExTlsClientCertPeerWhy: "服务器要求客户端证书（双向 TLS），而我们没有提供。", "The server requires a client certificate (mutual TLS) and we gave none.";
    ExTlsClientCertPeerFix: "指定客户端证书和私钥后重新连接。", "Give a client certificate and key, then connect again.";
    ExTlsNotTlsWhy: "对方发来的头几个字节不是 TLS 记录：它用的是普通 TCP（或别的协议），不懂 TLS。", "The peer's first bytes are not a TLS record: it speaks plain TCP (or another protocol), not TLS.";
    ExTlsNotTlsFix: "在这边关闭 TLS，或者让对方打开 TLS；也检查一下端口是不是连错了。", "Turn TLS off here, or turn it on at the peer; check the port too.";
    ExTlsClosedWhy: "TLS 握手还没完成，对方就关闭了连接：它可能不懂 TLS，或者不接受我们的设置但没说原因。", "The peer closed the connection before the TLS handshake finished: it may not speak TLS, or it refused our settings without saying why.";
    ExTlsClosedFix: "看对方程序的日志；确认它在这个端口上期待 TLS，并且接受我们的版本和证书。", "Read the peer's log; make sure it expects TLS on this port and accepts our versions and certificate.";
    ExTlsAlertWhy: "对方用一个 TLS 警报结束了握手：它不接受我们的某项设置。常见原因是没有共同的加密套件、它要求的客户端证书，或者它不允许的版本。", "The peer ended the handshake with a TLS alert: it does not accept something of ours. Common causes are no cipher suite in common, a client certificate it requires, or a version it does not allow.";
    ExTlsAlertFix: "看警报的名字和对方程序的日志，对照两边的 TLS 设置（版本、证书、ALPN）。", "Read the alert's name and the peer's log, and compare both sides' TLS settings (versions, certificates, ALPN).";
    ExTlsOtherWhy: "TLS 层报告了一个错误，连接无法继续。", "The TLS layer reported an error, and the connection cannot go on.";
    ExTlsOtherFix: "看错误文字，对照两边的 TLS 设置（版本、证书、ALPN）。", "Read the error text and compare both sides' TLS settings (versions, certificates, ALPN).";
    ExTlsFileReadWhy: "证书、私钥或 CA 文件读不出来：路径不对、文件不存在、没有权限，或者它是个文件夹。", "The certificate, key or CA file cannot be read: a wrong path, a missing file, no permission, or it is a folder.";
    ExTlsFileReadFix: "检查路径和文件权限。", "Check the path and the file's permissions.";
    ExTlsNotPemWhy: "这个文件不是 PEM 格式：PEM 是以 -----BEGIN CERTIFICATE----- 或 -----BEGIN PRIVATE KEY----- 开头的文本。", "The file is not PEM: PEM is text that starts with -----BEGIN CERTIFICATE----- or -----BEGIN PRIVATE KEY-----.";
    ExTlsNotPemFix: "选 .pem 或 .crt 文本文件；二进制 DER 文件可以用 openssl x509 -inform der -outform pem 转换。", "Pick the .pem or .crt text file; convert a binary DER file with openssl x509 -inform der -outform pem.";
    ExTlsBadCertWhy: "文件里的证书已损坏或不是 X.509 证书（可能被截断或复制时改坏了）。", "A certificate in the file is broken or not X.509 (cut short, or damaged while copying).";
    ExTlsBadCertFix: "重新导出或重新生成证书；用 openssl x509 -in 文件 -noout -text 检查。", "Export or make the certificate again; check it with openssl x509 -in FILE -noout -text.";
    ExTlsNoCertWhy: "文件里有 PEM 块，但没有证书（也许选成了私钥文件）。", "The file has PEM blocks but no certificate (the key file, perhaps).";
    ExTlsNoCertFix: "选含有 -----BEGIN CERTIFICATE----- 的文件作为证书。", "Pick the file with -----BEGIN CERTIFICATE----- as the certificate.";
    ExTlsNoKeyWhy: "文件里没有私钥（也许选成了证书文件）。", "The file has no private key (the certificate file, perhaps).";
    ExTlsNoKeyFix: "选含有 -----BEGIN PRIVATE KEY-----（或 RSA/EC PRIVATE KEY）的文件作为私钥。", "Pick the file with -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY) as the key.";
    ExTlsBadKeyWhy: "私钥已损坏，或者是不支持的类型（支持 RSA、ECDSA P-256/P-384 和 Ed25519）。", "The private key is broken or of a kind not supported (RSA, ECDSA P-256/P-384 and Ed25519 are).";
    ExTlsBadKeyFix: "重新导出私钥（不加密码），或者生成一对新的证书和私钥。", "Export the key again (without a passphrase), or make a new certificate and key.";
    ExTlsKeyMismatchWhy: "这个私钥不是这张证书的：证书里的公钥和私钥对不上。", "This private key is not the certificate's: the public key in the certificate does not match it.";
    ExTlsKeyMismatchFix: "选和证书一起生成的那个私钥文件。", "Pick the key file made together with the certificate.";
    ExTlsUnwritableWhy: "自签名证书无法保存到它的文件夹：没有权限，或者磁盘满了。", "The self-signed certificate cannot be saved in its folder: no permission, or the disk is full.";
    ExTlsUnwritableFix: "检查那个文件夹的权限，或者改用自己的证书和私钥文件。", "Check that folder's permissions, or use a certificate and key file of your own.";
    ExTlsNameBadWhy: "SNI 和证书核对需要一个域名或 IP 地址，而这里给的不是。", "SNI and the certificate check need a DNS name or an IP address, and this is neither.";
    ExTlsNameBadFix: "填证书里的域名（例如 localhost），或者留空使用远程主机地址。", "Type the name in the certificate (localhost, say), or leave it empty to use the remote host.";
    ExTlsNoRootsWhy: "本机的系统证书库里找不到受信任的根证书，所以无法校验服务器证书。", "This system's certificate store has no trusted root certificates, so no server certificate can be checked.";
    ExTlsNoRootsFix: "指定服务器的 CA 文件，或者安装系统的 ca-certificates。", "Give the server's CA file, or install the system's ca-certificates.";
    ExTlsSetupWhy: "这些 TLS 设置组合不到一起（例如证书的密钥类型和所选的版本不兼容）。", "These TLS settings cannot be put together (a key type the chosen versions cannot use, say).";
    ExTlsSetupFix: "看错误文字，调整版本或证书后再打开。", "Read the error text, adjust the versions or the certificate, and open again.";
    ExKeyLogWhy: "密钥日志文件无法打开或写入；连接照常进行，只是不再记录密钥。", "The key log file cannot be opened or written; connections go on, but no keys are logged.";
    ExKeyLogFix: "检查路径和权限，或者换一个可写的位置。", "Check the path and its permissions, or pick a writable place.";
    // Load tests
    NetTooManyConns: "{} 个连接放不下：本进程最多还能再打开 {} 个文件（上限 {}；`ulimit -Hn` 是它能提高到的最大值）。请减少连接数，或者提高硬上限", "{} connections do not fit: this process may open {} more files (its limit is {}; `ulimit -Hn` is the most it can be raised to): ask for fewer, or raise the hard limit";
    NetTooFewPorts: "从一个源地址到 {} 的 {} 个连接需要同样多的本地端口，但系统只有 {} 个临时端口：把连接分散到更多源地址上，或者减少连接数", "from one source address to {}, {} connections need as many local ports, but the system lends only {} ephemeral ports: spread them over more source addresses, or ask for fewer";
    ExTooManyConnsWhy: "每个连接都占用一个文件描述符，而进程能同时打开的文件数有上限（软上限可以提高到硬上限为止）。", "Every connection takes a file descriptor, and a process may hold only so many open files at once (the soft limit can be raised up to the hard limit).";
    ExTooManyConnsFix: "减少连接数；或者以管理员身份提高硬上限（/etc/security/limits.conf，或 systemd 的 LimitNOFILE），再重新启动 NetAssist。", "Ask for fewer connections, or raise the hard limit as an administrator (/etc/security/limits.conf, or systemd's LimitNOFILE) and start NetAssist again.";
    ExTooFewPortsWhy: "同一个源地址连到同一个目标的每个连接都要用一个不同的本地端口，系统可借出的临时端口有限（Linux 看 ip_local_port_range；Windows 默认 49152 到 65535）。", "Every connection from one source address to one target needs a local port of its own, and the system lends only so many ephemeral ports (Linux: ip_local_port_range; Windows: 49152 to 65535 by default).";
    ExTooFewPortsFix: "目标在本机（127.0.0.1）时，连接会分散到 127.0.0.2、127.0.0.3……上；调小每个源地址的连接数，或者减少连接数。", "For a target on this machine (127.0.0.1), connections are spread over 127.0.0.2, 127.0.0.3, …: lower the connections per source address, or ask for fewer.";
    ExOpenedLoadWhy: "压力测试开始了：许多客户端按设定的速率连接目标服务器，每个客户端按同一个脚本收发。所有连接都在一个线程的事件循环里，统计数字每 250 毫秒更新一次。", "The load test has started: many clients connect to the target at the rate set, each following the same script. Every connection lives in one thread's event loop; the figures are updated every 250 ms.";
    ExOpenedLoadFix: "看图表和百分位数；随时可以按“停止”。日志里只有样本（最早和最慢的几次往返、每种失败的前几例），不是每个字节。", "Watch the plots and percentiles; press Stop at any time. The log holds samples (the first and slowest exchanges, the first failures of each kind), not every byte.";
    ExLoadStartedWhy: "这一行说明这次测试会做什么：连接数、每秒新建多少连接、每个客户端跑几轮，以及连接从哪些源地址发出。", "This row says what the run will do: how many connections, how many new ones a second, how many rounds each client runs, and which source addresses they come from.";
    ExLoadStartedFix: "连本机目标时，超过几千个连接就会分散到 127.0.0.2、127.0.0.3……，因为一个源地址的临时端口有限；服务器看到的客户端地址会不一样，这是正常的。", "For a target on this machine, more than a few thousand connections are spread over 127.0.0.2, 127.0.0.3, …, because one source address has only so many ports; the server sees different client addresses, which is expected.";
    ExLoadExchangeWhy: "这是一次完整的往返样本：下面两行是发出的数据和收到的回复。延迟从发出开始算，到回复的第一个字节到达为止。", "This is one whole exchange, kept as a sample: the next two rows are what was sent and the reply. Latency runs from the send to the reply's first byte.";
    ExLoadExchangeFix: "最慢的样本往往说明服务器在排队：例如每个客户端一个线程的服务器在连接很多时，线程切换和 GIL 会让回复变慢。", "The slowest samples often show a server that queues: a thread-per-client server with many clients, say, where thread switches and the GIL slow the replies.";
    ExLoadFinishedWhy: "压力测试结束了：所有客户端都完成或失败、时长到了、失败太多，或者被停止。", "The load test is over: every client finished or failed, the duration ended, too many failed, or it was stopped.";
    ExLoadFinishedFix: "可以复制摘要，或者把每秒的数字存成 CSV、把摘要存成 JSON，和改动服务器之后的结果比较。", "Copy the summary, or save the per-second figures as CSV and the summary as JSON, to compare with a run after changing the server.";
    LoadFailRefused: "连接被拒绝", "refused";
    LoadFailConnectTimeout: "连接超时", "connect timed out";
    LoadFailReset: "连接被重置", "reset";
    LoadFailClosedEarly: "服务器提前关闭", "closed early";
    LoadFailReplyTimeout: "等回复超时", "no reply in time";
    LoadFailMismatch: "回复不符", "reply did not match";
    LoadFailTls: "TLS 失败", "TLS failed";
    LoadFailResources: "本机资源不足", "out of local resources";
    LoadFailOther: "其他错误", "other error";
    ExLoadRefusedWhy: "目标端口上没有程序在监听（或者服务器的监听队列满了），对方系统回了 RST；UDP 时是 ICMP“端口不可达”。", "No program listens on the target port (or the server's listen backlog is full), so its system answered with an RST; for UDP, an ICMP port unreachable.";
    ExLoadRefusedFix: "先启动服务器并核对端口；连接很多时，把服务器 listen() 的 backlog 调大，或者降低每秒新建连接数。", "Start the server first and check the port; with many connections, raise the backlog of the server's listen(), or lower the connect rate.";
    ExLoadConnectTimeoutWhy: "连接（或 TLS 握手）在限定时间内没有完成：服务器来不及 accept，监听队列满了，或者它忙得顾不上握手。", "The connection (or its TLS handshake) did not complete in time: the server did not accept it soon enough, its listen backlog was full, or it was too busy to finish the handshake.";
    ExLoadConnectTimeoutFix: "降低每秒新建连接数，调大服务器的 backlog，或者让服务器更快地 accept（例如用事件循环代替每个客户端一个线程）。", "Lower the connect rate, raise the server's backlog, or let the server accept faster (an event loop rather than a thread per client).";
    ExLoadResetWhy: "服务器用 RST 中断了连接：它的程序出错退出、在还有未读数据时关闭了套接字，或者资源不够主动丢弃了连接。", "The server cut the connection with an RST: its program failed, it closed its socket with data still unread, or it dropped the connection for lack of resources.";
    ExLoadResetFix: "看服务器的日志或报错；检查它是否读完了请求再关闭，以及它的线程数和文件描述符上限。", "Read the server's log or errors; check that it reads the whole request before closing, and its thread count and open-file limit.";
    ExLoadClosedEarlyWhy: "脚本还没走完，服务器就正常关闭了连接（发来 FIN，recv 返回 b''）。", "The server closed the connection in order (a FIN; recv returned b'') before the script was done.";
    ExLoadClosedEarlyFix: "对照服务器的协议检查脚本：它是不是在某个回复之后就断开了，或者它期待的输入和脚本发的不一样。", "Check the script against the server's protocol: does it hang up after a certain reply, or does it expect other input than the script sends?";
    ExLoadReplyTimeoutWhy: "发出数据之后，在限定时间内一个字节的回复也没收到：服务器忙、在排队，或者它还在等更多输入（例如等换行）。", "After the send, not one byte of reply came in time: the server is busy, queueing, or still waiting for more input (a newline, say).";
    ExLoadReplyTimeoutFix: "加长回复超时，或者减少连接数看延迟怎样变化；检查服务器是不是要等换行或固定长度才回复。", "Lengthen the reply timeout, or lower the connections and watch how latency changes; check whether the server waits for a newline or a fixed length before replying.";
    ExLoadMismatchWhy: "收到了回复，但内容里没有脚本要等的文字或字节（样本行里有实际收到的内容）。", "A reply came, but it does not hold the text or bytes the script waits for (the sample row shows what came).";
    ExLoadMismatchFix: "对照实际收到的内容修改要等的文字；注意编码（UTF-8 或 GBK）和大小写。", "Change what the script waits for to match what came; mind the encoding (UTF-8 or GBK) and letter case.";
    ExLoadTlsWhy: "TLS 握手失败：证书不受信任、名字不符、版本不兼容，或者服务器根本不说 TLS。", "The TLS handshake failed: a certificate not trusted, a name that does not match, no version in common, or a server that does not speak TLS.";
    ExLoadTlsFix: "指定服务器的 CA 文件（--ca），或者测试时忽略证书错误（--insecure）；确认目标端口确实是 TLS。", "Give the server's CA file (--ca), or ignore certificate errors to test (--insecure); make sure the target port really speaks TLS.";
    ExLoadResourcesWhy: "本机资源用完了：文件描述符、临时端口或套接字缓冲区不够。", "This machine ran out of something: file descriptors, ephemeral ports or socket buffers.";
    ExLoadResourcesFix: "减少连接数，或者提高进程的文件数上限（ulimit -n）；连本机时让连接分散到更多源地址。", "Ask for fewer connections, or raise the process's open-file limit (ulimit -n); for a target on this machine, spread connections over more source addresses.";
    ExLoadOtherWhy: "系统报告了一个不常见的错误，这个客户端无法继续。", "The system reported an uncommon error, and this client cannot go on.";
    ExLoadOtherFix: "看样本行里系统给出的文字，按它检查网络和服务器。", "Read the system's words in the sample row, and check the network and the server by them.";
    EvLoadStarted: "压力测试 {}（{}）：{} 个连接，每秒新建 {} 个", "load test of {} ({}): {} connections, {} new a second";
    EvLoadSources: "；分散到 {} 个源地址（{} 到 {}）", "; spread over {} source addresses ({} to {})";
    EvLoadExchangeFirst: "客户端 {}，第 {} 步，第 {} 轮：{} 毫秒后收到回复（最早的往返之一）", "client {}, step {}, round {}: reply after {} ms (one of the first exchanges)";
    EvLoadExchangeSlow: "客户端 {}，第 {} 步，第 {} 轮：{} 毫秒后收到回复（最慢的往返之一）", "client {}, step {}, round {}: reply after {} ms (one of the slowest exchanges)";
    EvLoadFailed: "客户端 {} 失败：{}（{}）", "client {} failed: {} ({})";
    EvLoadFinished: "压力测试结束（{}）：完成 {}，失败 {}，延迟 p50 {} 毫秒，p99 {} 毫秒", "load test over ({}): {} done, {} failed, latency p50 {} ms, p99 {} ms";
    LoadMode: "压力测试", "Load test";
    ErrLoadNumber: "“{}” 应是 {} 到 {} 之间的整数", "'{}' must be a whole number from {} to {}";
    ErrLoadUrl: "“{}” 不是压力测试的目标：请写成 tcp://主机:端口、tls://主机:端口、udp://主机:端口、ws://主机:端口/路径 或 wss://主机:端口/路径", "'{}' is not a load test target: write tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT, ws://HOST:PORT/PATH or wss://HOST:PORT/PATH";
    ErrLoadWsUrl: "“{}” 不是可用的 WebSocket 地址：{}", "'{}' is not a WebSocket URL that can be used: {}";
    ErrLoadNoSequence: "自动化文件里没有名为 “{}” 的序列", "the automation file has no sequence named '{}'";
    ErrLoadSequence: "序列 “{}” 无法运行：{}", "the sequence '{}' cannot run: {}";
    ErrLoadForever: "这个序列会一直重复：请填写时长或轮数", "this sequence repeats forever: give a duration or a number of rounds";
    LoadUrl: "目标（URL）", "Target (URL)";
    LoadUrlHint: "tcp://主机:端口、tls://主机:端口、udp://主机:端口、ws://主机:端口/路径 或 wss://…", "tcp://HOST:PORT, tls://HOST:PORT, udp://HOST:PORT, ws://HOST:PORT/PATH or wss://…";
    LoadConnections: "连接数", "Connections";
    LoadRate: "每秒新建连接数", "New connections a second";
    LoadDuration: "时长（秒，可不填）", "Duration (s, optional)";
    LoadRounds: "每个客户端跑几轮", "Rounds per client";
    LoadScript: "每个客户端做什么", "Each client";
    LoadScriptPayload: "发送内容", "Sends a payload";
    LoadScriptSequence: "运行序列", "Runs a sequence";
    LoadScriptPreset: "发送预设", "Sends a preset";
    LoadPreset: "预设名", "Preset name";
    LoadNoPresets: "自动化文件里还没有预设：在“自动化”窗口里添加", "No presets yet: add one in the Automation window";
    ErrLoadNoPreset: "自动化文件里没有名为 “{}” 的预设", "the automation file has no preset named '{}'";
    LoadSend: "发送的文字", "Payload text";
    LoadEvery: "间隔（毫秒，可不填）", "Every (ms, optional)";
    LoadExpect: "回复须包含（可不填）", "Reply must contain (optional)";
    LoadReplyTimeout: "回复超时（毫秒）", "Reply timeout (ms)";
    LoadSequence: "序列名", "Sequence name";
    LoadNoSequences: "自动化文件里还没有序列：在“自动化”窗口里添加", "No sequences yet: add one in the Automation window";
    LoadMaxFailures: "失败超过几个就停止（可不填）", "Stop after this many failures (optional)";
    LoadStart: "开始测试", "Start";
    LoadStop: "停止", "Stop";
    LoadStateRunning: "进行中，已 {}", "running for {}";
    LoadStateEnded: "已结束：{}，用时 {}", "ended: {}, after {}";
    LoadSpread: "连接分散在 {} 个源地址上（{} 到 {}）", "connections spread over {} source addresses ({} to {})";
    LoadFigConnections: "连接状态", "Connection status";
    LoadFigConnValues: "在线 {}（最多 {}），已连接 {} / {}，完成 {}，失败 {}", "open {} (peak {}), connected {} of {}, done {}, failed {}";
    LoadFigSent: "发送", "Sent";
    LoadFigReceived: "接收", "Received";
    LoadFigRate: "{} 字节/秒，{} 条/秒（共 {} 字节，{} 条）", "{} B/s, {} msg/s ({} bytes, {} messages in all)";
    LoadFigLatency: "延迟（毫秒）", "Latency (ms)";
    LoadFigLatencyHint: "从发出数据到收到回复的第一个字节；百分位数来自 HdrHistogram（误差 0.1%）", "From a send to the first byte of its reply; percentiles from an HdrHistogram (0.1% error)";
    LoadFigLatencyValues: "p50 {}，p90 {}，p99 {}，p99.9 {}，最大 {}（{} 次回复）", "p50 {}, p90 {}, p99 {}, p99.9 {}, max {} ({} replies)";
    LoadFigFailures: "失败原因：", "Failures:";
    LoadNoFailures: "没有失败", "No failures";
    LoadCopySummary: "复制摘要", "Copy summary";
    LoadSaveCsv: "保存每秒数字（CSV）…", "Save per-second figures (CSV)…";
    LoadSaveJson: "保存摘要（JSON）…", "Save summary (JSON)…";
    LoadPlotOpen: "在线连接", "open connections";
    LoadPlotSent: "发送 条/秒", "sent msg/s";
    LoadPlotReceived: "接收 条/秒", "received msg/s";
    LoadPlotP50: "p50 毫秒", "p50 ms";
    LoadPlotP99: "p99 毫秒", "p99 ms";
    LoadPlotMax: "最大 毫秒", "max ms";
    LoadEndCompleted: "所有客户端都已完成或失败", "every client finished or failed";
    LoadEndDuration: "时长已到", "the duration ended";
    LoadEndStopped: "已停止", "stopped";
    LoadEndMaxFailures: "失败的连接超过了 {} 个", "more than {} connections failed";
    LoadSumHead: "压力测试 {}：{} 个连接，每秒新建 {} 个", "Load test {}: {} connections, {} new a second";
    LoadSumSources: "源地址：{}", "Source addresses: {}";
    LoadSumEnd: "结束：{}，用时 {} 秒", "Ended: {}, after {} s";
    LoadSumRunning: "进行中，已用 {} 秒", "Running for {} s";
    LoadSumCounts: "已连接 {}，完成 {}，失败 {}", "Connected {}, done {}, failed {}";
    LoadSumNoFailures: "没有失败", "No failures";
    LoadSumFailures: "失败：{}", "Failures: {}";
    LoadSumTraffic: "发送 {} 字节（{} 条消息），接收 {} 字节（{} 次回复）", "Sent {} bytes ({} messages), received {} bytes ({} replies)";
    LoadSumLatency: "延迟（毫秒）：p50 {}，p90 {}，p99 {}，p99.9 {}，最大 {}（共 {} 次回复）", "Latency (ms): p50 {}, p90 {}, p99 {}, p99.9 {}, max {} ({} replies)";
    ExUnmappableWhy: "所选的发送编码里没有这个字符，例如 GBK 没有表情符号，也缺少许多少见的字。", "The chosen send encoding has no bytes for this character: GBK, for example, has no emoji and lacks many rare characters.";
    ExUnmappableFix: "把发送编码改成 UTF-8，或者删掉这个字符。", "Set the send encoding to UTF-8, or remove the character.";
    // WebSocket
    WsServerMode: "WebSocket 服务器", "WebSocket Server";
    WsClientMode: "WebSocket 客户端", "WebSocket Client";
    WsUrl: "URL（ws:// 或 wss://）", "URL (ws:// or wss://)";
    WsPath: "路径（空=任意路径）", "Path (empty = any path)";
    WsHeaders: "额外请求头（每行一个 Name: value）", "Extra request headers (one Name: value a line)";
    WsProtocols: "子协议（逗号分隔）", "Subprotocols (comma-separated)";
    WsMaxMessage: "单条消息上限（KiB）", "Message size limit (KiB)";
    WsKindText: "文本消息", "Text message";
    WsKindBinary: "二进制消息", "Binary message";
    WsKindHint: "发送时用文本帧还是二进制帧；十六进制输入总是二进制帧。文本消息必须是 UTF-8。", "Send text or binary frames; hex input always goes as a binary frame. A text message must be UTF-8.";
    WsPing: "发送 Ping", "Ping";
    WsPingPayload: "Ping 内容", "Ping payload";
    WsCloseBtn: "发送关闭帧", "Send close";
    WsCloseCode: "关闭码", "Close code";
    WsCloseReason: "关闭原因", "Close reason";
    WsSection: "WebSocket 设置", "WebSocket";
    WsFrames: "{} 帧", "{} frames";
    WsText: "文本", "text";
    WsBinary: "二进制", "binary";
    ErrWsUrl: "URL “{}” 不对：{}", "URL \"{}\" is wrong: {}";
    ErrWsPath: "路径 “{}” 要以 / 开头，不能有空格", "Path \"{}\" must start with / and hold no spaces";
    ErrWsHeader: "请求头 “{}” 不对：要写成 Name: value", "Header \"{}\" is wrong: write it as Name: value";
    ErrWsMaxMessage: "请输入 {} 到 {} 之间的整数（KiB）", "Enter a whole number of KiB from {} to {}";
    ErrWsCloseCode: "关闭码要是 1000–1003、1007–1014 或 3000–4999", "A close code is 1000–1003, 1007–1014 or 3000–4999";
    EvWsHandshake: "WebSocket 握手：{}，Host {} → {}", "WebSocket upgrade: {}, Host {} → {}";
    EvWsOrigin: "来源 Origin {}", "Origin {}";
    EvWsProtocolsAsked: "请求的子协议：{}", "subprotocols asked for: {}";
    EvWsExtensionsAsked: "请求的扩展：{}（未采用）", "extensions asked for: {} (none agreed)";
    EvWsProtocolAgreed: "采用子协议 {}", "subprotocol {} agreed";
    EvWsRefused: "服务器拒绝了 WebSocket 升级：{}", "the server refused the WebSocket upgrade: {}";
    EvWsWeRefused: "拒绝了这个升级请求，回答 {}：{}", "refused this upgrade request, answering {}: {}";
    EvWsUpgradeFailed: "WebSocket 升级失败：{}", "WebSocket upgrade failed: {}";
    EvWsBody: "正文开头：{}", "body begins: {}";
    WsHintPlainHttp: "这是一个普通的 HTTP 服务器，不是 WebSocket 服务器", "this is a plain HTTP server, not a WebSocket one";
    WsHintWrongPath: "路径不对：服务器在这个路径上没有 WebSocket", "wrong path: the server has no WebSocket at this path";
    WsHintBadUpgrade: "服务器的 101 回答不是合格的 WebSocket 升级", "the server's 101 answer is not a valid WebSocket upgrade";
    EvWsPingIn: "对方发来 Ping（{} 字节：{}），已自动回 Pong", "ping from the peer ({} bytes: {}), answered with a pong";
    EvWsPingOut: "发出 Ping（{} 字节：{}）", "ping sent ({} bytes: {})";
    EvWsPong: "收到 Pong（{} 字节：{}）", "pong received ({} bytes: {})";
    EvWsPongRtt: "收到 Pong（{} 字节：{}），往返 {} 毫秒", "pong received ({} bytes: {}), round trip {} ms";
    EvWsCloseIn: "对方发来关闭帧：{}", "the peer closes: {}";
    EvWsCloseInReply: "对方回了关闭帧：{}，关闭握手完成", "the peer answered our close: {}; the closing handshake is done";
    EvWsCloseOut: "发出关闭帧：{}", "close sent: {}";
    EvWsCloseOutReply: "已回关闭帧：{}", "close answered: {}";
    EvWsNoCode: "没有关闭码", "no close code";
    EvWsReason: "原因 “{}”", "reason \"{}\"";
    EvWsViolation: "对方违反了协议：{}；已用 {} 关闭", "the peer broke the protocol: {}; closed with {}";
    EvWsDropped: "连接断了，没有收到关闭帧（1006 异常关闭）", "the connection dropped without a close frame (1006 abnormal closure)";
    EvWsCloseUnanswered: "对方 {} 秒内没有回应我们的关闭帧，我们断开了连接", "the peer did not answer our close frame within {} s: we ended the connection";
    EvWsKnocking: "这是一个升级到 WebSocket 的 HTTP 请求：有 WebSocket 客户端在敲这个普通 TCP 服务器的门", "this is an HTTP request to upgrade to WebSocket: a WebSocket client is knocking on a plain TCP server";
    WsCode1000: "正常关闭", "normal closure";
    WsCode1001: "离开（页面关闭或服务器下线）", "going away";
    WsCode1002: "协议错误", "protocol error";
    WsCode1003: "不接受的数据类型", "unsupported data";
    WsCode1006: "异常关闭（没有关闭帧）", "abnormal closure (no close frame)";
    WsCode1007: "数据无效（文本不是 UTF-8）", "invalid payload data (text not UTF-8)";
    WsCode1008: "违反策略", "policy violation";
    WsCode1009: "消息太大", "message too big";
    WsCode1011: "服务器内部错误", "internal error";
    WsCodeOther: "其他关闭码", "another close code";
    ExOpenedWsServerWhy: "WebSocket 服务器已在这个地址监听：客户端先发一个 HTTP 请求（GET + Upgrade: websocket），服务器回 101 之后，连接上传的就是 WebSocket 帧。", "The WebSocket server is listening here: a client first sends an HTTP request (GET with Upgrade: websocket); after the server's 101 answer the connection carries WebSocket frames.";
    ExOpenedWsServerFix: "用 ws://本机地址:端口/ 连接，例如浏览器里的 new WebSocket(...) 或 Python 的 websockets。", "Connect to ws://this-address:port/, with new WebSocket(...) in a browser or Python's websockets, say.";
    ExOpenedWsClientWhy: "TCP 连接已建立，WebSocket 客户端接着发送升级请求（HTTP GET + Upgrade: websocket）。", "The TCP connection is up; the WebSocket client now sends its upgrade request (an HTTP GET with Upgrade: websocket).";
    ExOpenedWsClientFix: "等握手行：101 表示成功，别的状态码表示服务器拒绝了。", "Watch for the handshake row: 101 means it worked, any other status that the server refused.";
    ExWsHandshakeWhy: "HTTP 升级成功：服务器用 101 Switching Protocols 回答，并用 Sec-WebSocket-Accept 证明它听懂了这次请求。从现在起每条消息是一条记录。", "The HTTP upgrade worked: the server answered 101 Switching Protocols, proving with Sec-WebSocket-Accept that it understood this request. From now on each message is one record.";
    ExWsHandshakeFix: "发送文本或二进制消息；Ping 可以测往返时间。", "Send text or binary messages; a ping measures the round trip.";
    ExWsRefusedHttpWhy: "服务器没有答应升级：它回的是普通 HTTP（常见于 200/301/405），说明这是普通网页服务器，或者端口不对。", "The server did not upgrade: it answered with plain HTTP (200, 301 or 405, often), so it is a plain web server, or the port is wrong.";
    ExWsRefusedHttpFix: "检查端口和地址是不是 WebSocket 服务；正文开头常能说明它是什么。", "Check that the address and port are a WebSocket service; the body's first lines often tell what it is.";
    ExWsRefusedPathWhy: "服务器在这个路径上没有 WebSocket（404 Not Found）。WebSocket 服务器通常只在某个路径上提供服务，例如 /ws 或 /chat。", "The server has no WebSocket at this path (404 Not Found). WebSocket servers often serve one path only, /ws or /chat, say.";
    ExWsRefusedPathFix: "改正 URL 里的路径。", "Fix the path in the URL.";
    ExWsRefusedOtherWhy: "服务器用一个非 101 的状态码拒绝了升级，或者它的回答不是合格的升级（Sec-WebSocket-Accept 不对、子协议不是我们要的），或者它没回答就断开了。", "The server refused the upgrade with a status other than 101, or its answer was not a valid upgrade (a wrong Sec-WebSocket-Accept, a subprotocol we did not ask for), or it closed without answering.";
    ExWsRefusedOtherFix: "看状态码和正文：401/403 要认证或来源（Origin）不被允许，可以加请求头；400 说明请求不合它的要求。", "Read the status and the body: 401/403 want credentials or another Origin (add headers); 400 means the request did not suit it.";
    ExWsWeRefusedWhy: "有客户端发来请求，但不是合格的 WebSocket 升级（普通 HTTP、路径不对或缺少必需的头），所以服务器用 HTTP 错误回答并关闭了连接。", "A client sent a request that is not a valid WebSocket upgrade (plain HTTP, a wrong path, a missing header), so the server answered with an HTTP error and closed.";
    ExWsWeRefusedFix: "让客户端连正确的路径，或清空“路径”以接受任意路径。", "Have the client use the right path, or empty Path to serve any path.";
    ExWsPingWhy: "Ping 是控制帧：收到的一方必须尽快回一个内容相同的 Pong。常用来保活和测往返时间。", "A ping is a control frame: whoever receives it must answer soon with a pong of the same payload. It keeps connections alive and measures round trips.";
    ExWsPingFix: "不需要操作；NetAssist 自动回 Pong。", "Nothing to do: NetAssist answers with a pong by itself.";
    ExWsPongWhy: "Pong 回答一个 Ping，内容和 Ping 相同；往返时间从我们发 Ping 算到收到 Pong。", "A pong answers a ping with the same payload; the round trip is from our ping to this pong.";
    ExWsPongFix: "往返时间大说明网络或对方程序慢。", "A long round trip means a slow network or a slow peer.";
    ExWsCloseWhy: "关闭帧开始关闭握手：一方发出关闭码和原因，另一方回一个关闭帧，然后断开 TCP。1000 正常关闭；1001 离开（页面关闭、服务器下线）；1002 协议错误；1003 收到不接受的数据类型；1007 数据无效（文本不是 UTF-8）；1008 违反策略；1009 消息太大；1011 服务器内部错误；1006 不会出现在帧里，只表示连接没有关闭帧就断了。", "A close frame starts the closing handshake: one side sends a code and a reason, the other answers with a close frame, then TCP closes. 1000 normal closure; 1001 going away (a page closed, a server going down); 1002 protocol error; 1003 unsupported data; 1007 invalid payload (text not UTF-8); 1008 policy violation; 1009 message too big; 1011 internal server error; 1006 never travels in a frame: it means the connection ended without one.";
    ExWsCloseFix: "1000 和 1001 是正常的；其他关闭码看原因文字找问题。", "1000 and 1001 are normal; for other codes read the reason to find the problem.";
    ExWsViolation1007Why: "对方发来的文本消息不是合法的 UTF-8；WebSocket 规定文本消息必须是 UTF-8，所以用 1007 关闭。", "The peer's text message is not valid UTF-8; WebSocket requires text messages to be UTF-8, so the connection closes with 1007.";
    ExWsViolation1007Fix: "让对方用 UTF-8 编码文本，或者把非 UTF-8 的数据作为二进制消息发送。", "Have the peer encode text as UTF-8, or send such bytes as a binary message.";
    ExWsViolation1009Why: "对方的消息超过了单条消息上限，NetAssist 不会为它保留无限的内存，所以用 1009（消息太大）关闭。", "The peer's message is over the message size limit; NetAssist keeps no unbounded memory for it, so it closed with 1009 (message too big).";
    ExWsViolation1009Fix: "调大“单条消息上限”，或者让对方把数据分成小消息。", "Raise the message size limit, or have the peer send smaller messages.";
    ExWsViolationWhy: "对方发来的帧不符合 WebSocket 协议（例如客户端的帧没有掩码、控制帧被分片或太长、未知的操作码），所以用 1002（协议错误）关闭。", "The peer sent a frame WebSocket does not allow (an unmasked frame from a client, a fragmented or too long control frame, an unknown opcode), so the connection closed with 1002 (protocol error).";
    ExWsViolationFix: "检查对方的 WebSocket 实现；原因文字说明了哪里不对。", "Check the peer's WebSocket code; the reason says what was wrong.";
    ExWsDroppedWhy: "TCP 连接断了，但之前没有关闭帧：这就是 1006（异常关闭）。常见原因是对方程序崩溃、被强行结束，或者网络中断。", "The TCP connection ended with no close frame before it: that is 1006 (abnormal closure). Often the peer crashed, was killed, or the network failed.";
    ExWsDroppedFix: "让对方程序在退出前发送关闭帧（例如 websocket.close()）。", "Have the peer send a close frame before it exits (websocket.close(), say).";
    ExWsCloseUnansweredWhy: "WebSocket 的关闭是一问一答：我们发出关闭帧，对方应回一个关闭帧，然后断开 TCP。对方一直没回，多半是它不再读取连接（卡住了、在忙别的），或者它的库不处理关闭帧。RFC 6455 允许先发关闭帧的一方等一会儿后自己断开。", "A WebSocket close is a question and an answer: we sent a close frame, the peer should send one back, then TCP ends. No answer came: most often the peer no longer reads the connection (stuck, or busy elsewhere), or its library ignores close frames. RFC 6455 lets the side that closed first end the connection after a while.";
    ExWsCloseUnansweredFix: "检查对方程序是否还在读取这个连接（例如 async for 循环是否还在运行）；用正常的库（如 Python websockets）会自动回应关闭帧。", "Check that the peer still reads this connection (is its async for loop still running?); a usual library (Python websockets, say) answers a close frame by itself.";
    ExWsKnockingWhy: "这个 TCP 连接的第一批数据是 HTTP 请求 GET … Upgrade: websocket：对方是 WebSocket 客户端，它在等 101 回答，而普通 TCP 服务器不会回答。", "This connection's first bytes are an HTTP request, GET … Upgrade: websocket: the peer is a WebSocket client waiting for a 101 answer, which a plain TCP server never gives.";
    ExWsKnockingFix: "把协议类型换成 WebSocket 服务器，再打开。", "Switch the protocol to WebSocket Server and open again.";
    ExWsNotOpenWhy: "WebSocket 的升级握手还没完成，还不能发消息。", "The WebSocket upgrade has not finished yet: no message can go.";
    ExWsNotOpenFix: "等握手行出现再发送。", "Wait for the handshake row, then send.";
    ExWsClosingWhy: "已经发出或收到关闭帧：连接正在关闭，不能再发消息。", "A close frame went or came: the connection is closing and carries no more messages.";
    ExWsClosingFix: "重新连接后再发送。", "Connect again to send more.";
    ExWsControlWhy: "控制帧（Ping、关闭）最多只能带 125 字节。", "Control frames (ping, close) carry 125 bytes at most.";
    ExWsControlFix: "缩短 Ping 内容或关闭原因。", "Shorten the ping payload or the close reason.";
    ExNotWsWhy: "Ping 和关闭帧只属于 WebSocket 会话。", "Pings and close frames belong to WebSocket sessions only.";
    ExNotWsFix: "把协议类型换成 WebSocket 服务器或客户端。", "Switch the protocol to WebSocket Server or Client.";
    ExWsOtherWhy: "WebSocket 库拒绝了这次发送。", "The WebSocket library refused this send.";
    ExWsOtherFix: "看错误文字；必要时重新连接。", "Read the error text; connect again if needed.";
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
    const SAME: &[T] = &[T::Udp, T::NetOther, T::RttTag, T::EvTlsAlpn, T::EvTlsSni];

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
