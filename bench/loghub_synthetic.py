#!/usr/bin/env python3
"""Synthetic LogHub-style samples for the six LogHub systems absent from loghub-2k.

Written from memory of the LogHub line formats (Linux, Mac, Thunderbird, HealthApp, Proxifier,
OpenSSH), 20-27 templates each with random values: a check of header detection and masking on
layouts the shared folder lacks, not a substitute for the real files (which have more and rarer
templates). `augur eval loghub --data OUT` scores them.

Each template is a string where §name§ is a variable drawn from a generator; the truth template
replaces every §...§ with <*> (LogHub style). The header is generated separately, so the truth
Content is known exactly. Output: data/<Sys>/<Sys>_2k.log, _structured.csv, _templates.csv.

usage: gen.py [--seed N] [--out DIR] [--proxifier-star64 P]
"""
import argparse
import csv
import datetime as dt
import os
import random
import re

R = random.Random(1)
NOW = [None]

# ---------------------------------------------------------------- value generators
def ip():
    return "%d.%d.%d.%d" % (R.choice([24, 58, 61, 82, 103, 112, 116, 119, 121, 173, 183, 187, 195,
                                       202, 211, 218, 220, 221, 222]), R.randint(0, 255),
                            R.randint(0, 255), R.randint(1, 254))

def priv_ip():
    return "10.%d.%d.%d" % (R.randint(0, 255), R.randint(0, 255), R.randint(1, 254))

WORDS = ["massive", "merukuru", "csnsu", "nsuok", "biblioteka", "wsi", "marryaldkfaczcz", "gw",
         "mail", "ns", "relay", "static", "dyn", "unassigned", "scanner", "proxy", "vps", "host"]
TLDS = ["com", "net", "org", "edu", "de", "pl", "jp", "com.cn", "co.uk", "hk", "kr", "ru"]

def rdns(digitless_share=0.2):
    if R.random() < digitless_share:
        return "%s.%s.%s" % (R.choice(WORDS), R.choice(WORDS), R.choice(TLDS))
    a, b, c, d = (R.randint(1, 254) for _ in range(4))
    return R.choice([
        "%d-%d-%d-%d.hinet-ip.hinet.net" % (a, b, c, d),
        "n%d%03d%03d%03d.netvigator.com" % (a, b, c, d),
        "p%08x.dip.t-dialin.net" % R.getrandbits(32),
        "%d-%d-%d-%d.dsl.in-addr.zen.co.uk" % (a, b, c, d),
        "host%d.%s.%s" % (a, R.choice(WORDS), R.choice(TLDS)),
        "ip%d.ip-%d-%d-%d.eu" % (a, b, c, d),
    ])

def pid(lo=1000, hi=32000):
    return str(R.randint(lo, hi))

def num(lo, hi):
    return str(R.randint(lo, hi))

def hexs(n):
    return "".join(R.choice("0123456789abcdef") for _ in range(n))

def mac():
    return ":".join("%02x" % R.randint(0, 255) for _ in range(6))

USERS_VALID = ["root", "fztu", "curi", "news", "cyrus", "test", "guest"]
USERS_INVALID = ["admin", "test", "oracle", "guest", "ftpuser", "user", "ubuntu", "pi", "git",
                 "postgres", "nagios", "support", "webmaster", "123456", "0", "ts3", "user1",
                 "mysql", "zabbix", "apache", "jenkins", "hadoop", "teamspeak", "ftp", "www"]

def pick(seq):
    return lambda: R.choice(seq)

# ---------------------------------------------------------------- template machinery
FIELD = re.compile(r"§(\w+)§")

class T:
    def __init__(self, text, weight, fields=None, header=None):
        self.text, self.weight, self.fields, self.header = text, weight, fields or {}, header
        self.truth = FIELD.sub("<*>", text)

    def render(self):
        return FIELD.sub(lambda m: self.fields[m.group(1)](), self.text)

def choose(templates):
    return R.choices(templates, weights=[t.weight for t in templates])[0]

class Clock:
    def __init__(self, start, step_max):
        self.t, self.step_max = start, step_max

    def tick(self):
        self.t += dt.timedelta(seconds=R.choice([0, 0, 0, 1, 2, R.randint(1, self.step_max)]),
                               milliseconds=R.randint(0, 999))
        return self.t

def syslog_date(t):  # "Jun  9 06:06:20"
    return "%s %2d %s" % (t.strftime("%b"), t.day, t.strftime("%H:%M:%S"))

# ---------------------------------------------------------------- Linux
def linux(n):
    rh = lambda: R.choice([ip(), ip(), rdns()])
    tpl = [
        # (component, has_pid), template
        (("sshd(pam_unix)", True), T("authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=§h§", 30, {"h": rh})),
        (("sshd(pam_unix)", True), T("authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=§h§  user=§u§", 20, {"h": rh, "u": pick(["root", "guest", "test"])})),
        (("sshd(pam_unix)", True), T("check pass; user unknown", 15)),
        (("sshd(pam_unix)", True), T("session opened for user §u§ by (uid=§n§)", 3, {"u": pick(USERS_VALID), "n": pick(["0"])})),
        (("sshd(pam_unix)", True), T("session closed for user §u§", 3, {"u": pick(USERS_VALID)})),
        (("su(pam_unix)", True), T("session opened for user §u§ by (uid=§n§)", 6, {"u": pick(["news", "cyrus", "root"]), "n": pick(["0", "0", "500"])})),
        (("su(pam_unix)", True), T("session closed for user §u§", 6, {"u": pick(["news", "cyrus", "root"])})),
        (("crond(pam_unix)", True), T("session opened for user §u§ by (uid=§n§)", 4, {"u": pick(["root"]), "n": pick(["0"])})),
        (("crond(pam_unix)", True), T("session closed for user §u§", 4, {"u": pick(["root"])})),
        (("ftpd", True), T("connection from §ip§ (§h§) at §d§", 12, {"ip": ip, "h": rdns, "d": lambda: NOW[0].strftime("%a %b %d %H:%M:%S %Y")})),
        (("ftpd", True), T("connection from §ip§ () at §d§", 4, {"ip": ip, "d": lambda: NOW[0].strftime("%a %b %d %H:%M:%S %Y")})),
        (("ftpd", True), T("ANONYMOUS FTP LOGIN FROM §ip§, (anonymous)", 2, {"ip": ip})),
        (("xinetd", True), T("START: ftp pid=§p§ from=§ip§", 5, {"p": pid, "ip": ip})),
        (("logrotate", False), T("ALERT exited abnormally with [§n§]", 2, {"n": pick(["1", "1", "2"])})),
        (("syslogd 1.4.1", False), T("restart.", 2)),
        (("kernel", False), T("klogd §v§, log source = /proc/kmsg started.", 1, {"v": pick(["1.4.1"])})),
        (("kernel", False), T("BIOS-e820: §a§ - §b§ (usable)", 2, {"a": lambda: hexs(16), "b": lambda: hexs(16)})),
        (("kernel", False), T("BIOS-e820: §a§ - §b§ (reserved)", 2, {"a": lambda: hexs(16), "b": lambda: hexs(16)})),
        (("kernel", False), T("Memory: §a§k/§b§k available (§c§k kernel code, §d§k reserved, §e§k data, §f§k init, 0k highmem)", 1, {k: (lambda: num(100, 130000)) for k in "abcdef"})),
        (("kernel", False), T("audit(§a§:§b§): initialized", 1, {"a": lambda: "%d.%d" % (R.randint(1117000000, 1122999999), R.randint(1, 999)), "b": pick(["0"])})),
        (("cups", False), T("cupsd shutdown succeeded", 1)),
        (("cups", False), T("cupsd startup succeeded", 1)),
        (("named", True), T("lame server resolving '§d§' (in '§z§'?): §ip§#53", 3, {"d": lambda: "%s.%s" % (R.choice(WORDS), R.choice(TLDS)), "z": lambda: R.choice(TLDS).upper(), "ip": ip})),
        (("klogind", True), T("Authentication failed from §ip§ (§ip§): Permission denied in replay cache code", 3, {"ip": ip})),
        (("klogind", True), T("Kerberos authentication failed", 2)),
        (("rpc.statd", True), T("Version §v§ Starting", 1, {"v": pick(["1.0.6"])})),
        (("snmpd", True), T("Received SNMP packet(s) from §ip§", 2, {"ip": ip})),
        (("hcid", True), T("HCI daemon ver §v§ started", 1, {"v": pick(["2.4"])})),
        (("network", False), T("Bringing up loopback interface:  succeeded", 1)),
        (("sysctl", False), T("net.ipv4.ip_forward = §n§", 1, {"n": pick(["0", "1"])})),
        (("gpm", True), T("*** info [startup.c(95)]: Started gpm successfully. Entered daemon mode.", 1)),
    ]
    clock = Clock(dt.datetime(2005, 6, 9, 6, 6, 20), 90000)
    rows = []
    for _ in range(n):
        (comp, has_pid), t = R.choices(tpl, weights=[x[1].weight for x in tpl])[0]
        NOW[0] = clock.tick()
        content = t.render()
        proc = "%s[%s]" % (comp, pid()) if has_pid else comp
        line = "%s combo %s: %s" % (syslog_date(NOW[0]), proc, content)
        rows.append((line, content, t.truth))
    return rows

# ---------------------------------------------------------------- Mac
def mac_sys(n):
    hosts = ["calvisitor-10-105-160-95", "calvisitor-10-105-160-95", "calvisitor-10-105-162-178",
             "calvisitor-10-105-163-202", "authorMacBook-Pro", "airbears2-10-142-110-255"]
    arpt = lambda: "%d.%06d" % (R.randint(600000, 800000), R.randint(0, 999999))
    tpl = [
        ("kernel", "0", None, T("ARPT: §t§: wl0: wl_update_tcpkeep_seq: Original Seq: §a§, Ack: §b§, Win size: §c§", 20, {"t": arpt, "a": lambda: num(10**8, 4 * 10**9), "b": lambda: num(10**8, 4 * 10**9), "c": pick(["4096", "2048", "8192"])})),
        ("kernel", "0", None, T("ARPT: §t§: wl0: MDNS: IPV4 Addr: §ip§", 10, {"t": arpt, "ip": priv_ip})),
        ("kernel", "0", None, T("AppleThunderboltNHIType2::prePCIWake - power up complete - took §n§ us", 8, {"n": lambda: num(1, 3000)})),
        ("kernel", "0", None, T("IOThunderboltSwitch<§z§>(§x§)::listenerCallback - Thunderbolt HPD packet for route = §x§ port = §p§ unplug = §u§", 12, {"z": pick(["0"]), "x": pick(["0x0"]), "p": pick(["11", "12", "3"]), "u": pick(["0", "1"])})),
        ("kernel", "0", None, T("Wake reason: ARPT (Network)", 6)),
        ("kernel", "0", None, T("Wake reason: RTC (Alarm)", 3)),
        ("kernel", "0", None, T("AirPort: Link Down on awdl0. Reason §n§ (Unspecified).", 5, {"n": pick(["1"])})),
        ("kernel", "0", None, T("en0: BSSID changed to §m§", 4, {"m": mac})),
        ("kernel", "0", None, T("Previous sleep cause: §n§", 3, {"n": pick(["5", "3"])})),
        ("kernel", "0", None, T("Sandbox: §p§(§n§) deny(1) network-outbound /private/var/run/mDNSResponder", 4, {"p": pick(["com.apple.Addres", "com.apple.WebKi", "QQ", "Microsoft Word"]), "n": pid})),
        ("com.apple.CDScheduler", "43", None, T("Thermal pressure state: §a§ Memory pressure state: §b§", 8, {"a": pick(["0", "1"]), "b": pick(["0", "1"])})),
        ("QQ", "10018", None, T("FA||Url||taskID[§n§] dealloc", 8, {"n": lambda: num(2019350000, 2019399999)})),
        ("Google Chrome Helper", None, None, T("Libnotify: notify_register_coalesced_registration failed with code §c§ on line §l§", 6, {"c": pick(["9"]), "l": pick(["2835"])})),
        ("com.apple.xpc.launchd", "1", "svc", T("Endpoint has been activated through legacy launch(3) APIs. Please switch to XPC or bootstrap_check_in(): §s§", 5, {"s": pick(["com.apple.quicklook", "com.apple.imfoundation.IMRemoteURLConnectionAgent", "com.apple.mdworker.shared"])})),
        ("com.apple.xpc.launchd", "1", "wc", T("Service exited due to signal: Killed: §n§", 4, {"n": pick(["9"])})),
        ("com.apple.xpc.launchd", "1", "wc", T("Service exited with abnormal code: §n§", 4, {"n": pick(["1", "2", "255"])})),
        ("sharingd", "30299", None, T("§t§ : BTLE scanner Powered Off", 4, {"t": lambda: "%02d:%02d:%02d.%03d" % (R.randint(0, 23), R.randint(0, 59), R.randint(0, 59), R.randint(0, 999))})),
        ("sharingd", "30299", None, T("§t§ : Scanning mode Contacts Only", 4, {"t": lambda: "%02d:%02d:%02d.%03d" % (R.randint(0, 23), R.randint(0, 59), R.randint(0, 59), R.randint(0, 999))})),
        ("symptomsd", "215", None, T("__73-[NetworkAnalyticsEngine observeValueForKeyPath:ofObject:change:context:]_block_invoke unexpected switch value §n§", 4, {"n": pick(["2"])})),
        ("mDNSResponder", "91", None, T("mDNS_RegisterInterface: Frequent transitions for interface §i§ (§a§)", 3, {"i": pick(["awdl0", "en0"]), "a": lambda: "FE80:0000:0000:0000:%04X:%04X:%04X:%04X" % tuple(R.getrandbits(16) for _ in range(4))})),
        ("UserEventAgent", "43", None, T("Captive: CNPluginHandler en0: Inactive", 3)),
        ("WindowServer", "184", None, T("CGXDisplayDidWakeNotification [§n§]: posting kCGSDisplayDidWake", 3, {"n": lambda: num(10**11, 10**13)})),
        ("WindowServer", "184", None, T("device_generate_desktop_screenshot: authw §a§(§b§), shield §c§(§d§)", 3, {"a": pick(["0x0"]), "b": pick(["0"]), "c": lambda: "0x7fcf" + hexs(8), "d": pick(["2001"])})),
        ("corecaptured", None, None, T("CCFile::captureLog Received Capture notice id: §t§, reason = AuthFail:sts:§a§_rsn:§b§", 3, {"t": lambda: "%d.%06d" % (R.randint(1498900000, 1499000000), R.randint(0, 999999)), "a": pick(["2", "5"]), "b": pick(["0", "1"])})),
        ("Safari", "9852", None, T("tcp_connection_tls_session_error_callback_imp §n§ __tcp_connection_tls_session_callback_write_block_invoke.§m§ error §e§", 3, {"n": lambda: num(1000, 9999), "m": pick(["434"]), "e": pick(["32", "22"])})),
        ("secd", "276", None, T("SOSAccountThisDeviceCanSyncWithCircle sync with device failure: Error Domain=com.apple.security.sos.error Code=§c§ \"Account identity not set\" UserInfo={NSDescription=Account identity not set}", 3, {"c": pick(["1035"])})),
        ("AddressBookSourceSync", None, None, T("Unrecognized attribute value: t:AbchPersonItemType", 2)),
    ]
    clock = Clock(dt.datetime(2017, 7, 1, 9, 0, 55), 3000)
    rows = []
    for _ in range(n):
        comp, p, addr, t = R.choices(tpl, weights=[x[3].weight for x in tpl])[0]
        content = t.render()
        proc = "%s[%s]" % (comp, p or pid(200, 40000))
        if addr == "svc":
            proc += " (%s[%s])" % (R.choice(["com.apple.quicklook", "com.apple.imfoundation.IMRemoteURLConnectionAgent"]), pid())
        elif addr == "wc":
            proc += " (com.apple.WebKit.WebContent.%s[%s])" % (
                "-".join(hexs(k).upper() for k in (8, 4, 4, 4, 12)), pid())
        line = "%s %s %s: %s" % (syslog_date(clock.tick()), R.choice(hosts), proc, content)
        rows.append((line, content, t.truth))
    return rows

# ---------------------------------------------------------------- Thunderbird
def thunderbird(n):
    nodes = ["dn%d" % i for i in range(1, 400)] + ["an%d" % i for i in range(1, 400)] + \
            ["bn%d" % i for i in range(1, 400)] + ["cn%d" % i for i in range(1, 400)]
    tpl = [
        # (label, component, pid?, location kind, template)
        ("-", "crond(pam_unix)", True, "node", T("session closed for user root", 25)),
        ("-", "crond(pam_unix)", True, "node", T("session opened for user root by (uid=0)", 25)),
        ("-", "crond", True, "node", T("(root) CMD (run-parts §p§)", 20, {"p": pick(["/etc/cron.hourly", "/etc/cron.daily"])})),
        ("-", "ntpd", True, "node", T("synchronized to §ip§, stratum §n§", 6, {"ip": priv_ip, "n": pick(["2", "3"])})),
        ("-", "ntpd", True, "node", T("time reset §s§ s", 2, {"s": lambda: "%+.6f" % R.uniform(-1, 1)})),
        ("-", "sshd", True, "node", T("Accepted publickey for root from §ip§ port §p§ ssh2", 6, {"ip": priv_ip, "p": lambda: num(32768, 61000)})),
        ("-", "sshd(pam_unix)", True, "node", T("session opened for user root by (uid=0)", 4)),
        ("-", "sshd(pam_unix)", True, "node", T("session closed for user root", 4)),
        ("-", "/apps/x86_64/system/ganglia-3.0.1/sbin/gmetad", True, "admin", T("data_thread() got not answer from any [§c§] datasource", 6, {"c": pick(["Thunderbird_A8", "Thunderbird_B2", "Thunderbird_C5", "Thunderbird_D1"])})),
        ("-", "dhcpd", False, "admin", T("DHCPREQUEST for §ip§ from §m§ via eth1", 6, {"ip": priv_ip, "m": mac})),
        ("-", "dhcpd", False, "admin", T("DHCPACK on §ip§ to §m§ via eth1", 6, {"ip": priv_ip, "m": mac})),
        ("-", "dhcpd", False, "admin", T("DHCPDISCOVER from §m§ via eth1", 3, {"m": mac})),
        ("-", "kernel", False, "node", T("e1000: eth0: e1000_watchdog: NIC Link is Up 1000 Mbps Full Duplex", 2)),
        ("-", "kernel", False, "node", T("hda: drive_cmd: status=§s§ { DriveReady SeekComplete Error }", 1, {"s": pick(["0x51"])})),
        ("-", "postfix/postdrop", True, "node", T("warning: unable to look up public/pickup: No such file or directory", 3)),
        ("-", "xinetd", True, "node", T("START: auth pid=§p§ from=§ip§", 2, {"p": pid, "ip": priv_ip})),
        ("-", "smartd", True, "node", T("Device: §d§, opened", 1, {"d": pick(["/dev/sda", "/dev/sdb", "/dev/hda"])})),
        ("VAPI", "kernel", False, "node", T("[KERNEL_IB][ib_mad_dispatch][§p§]Mad filter error", 2, {"p": lambda: "/mnt_projects/sysapps/src/ib/topspin/topspin-src-3.2.0-16/ib/ts_api_ng/mad/obj_host_amd64_custom1_rhel4/ts_ib_mad/mad_filter.c:%d" % R.choice([88, 104])})),
        ("ECC", "kernel", False, "node", T("EDAC k8 MC0: general bus error: participating processor(local node response), time-out(no timeout) memory transaction type(generic read), mem or i/o(mem access), cache level(generic)", 1)),
        ("ECC", "kernel", False, "node", T("EDAC MC0: CE page §a§, offset §b§, grain 8, syndrome §c§, row §r§, channel §ch§, label \"\": k8_edac", 1, {"a": lambda: "0x" + hexs(5), "b": lambda: "0x" + hexs(3), "c": lambda: "0x" + hexs(4), "r": pick(["0", "1", "2", "3"]), "ch": pick(["0", "1"])})),
        ("PBS_CHK", "pbs_mom", False, "node", T("Bad file descriptor (9) in tm_request, job §j§.tbird-admin1 not running", 1, {"j": lambda: num(100000, 999999)})),
        ("KERNDTLB", "kernel", False, "node", T("Unable to handle kernel paging request at virtual address §a§", 1, {"a": lambda: hexs(16)})),
    ]
    admins = ["tbird-admin1", "aadmin1", "tbird-sm1"]
    clock = Clock(dt.datetime(2005, 11, 9, 12, 1, 1), 600)
    rows = []
    epoch0 = dt.datetime(2005, 11, 9, 12, 1, 1)
    for _ in range(n):
        label, comp, has_pid, loc, t = R.choices(tpl, weights=[x[4].weight for x in tpl])[0]
        content = t.render()
        now = clock.tick()
        stamp = 1131566461 + int((now - epoch0).total_seconds())
        if loc == "node":
            user = R.choice(nodes)
            location = "%s/%s" % (user, user)
        else:
            user = R.choice(admins)
            location = R.choice(["local@", "src@"]) + user
        proc = "%s[%s]" % (comp, pid()) if has_pid else comp
        line = "%s %d %s %s %s %d %s %s %s: %s" % (label, stamp, now.strftime("%Y.%m.%d"), user,
                                                   now.strftime("%b"), now.day,
                                                   now.strftime("%H:%M:%S"), location, proc, content)
        rows.append((line, content, t.truth))
    return rows

# ---------------------------------------------------------------- HealthApp
def healthapp(n):
    ts13 = lambda: str(R.randint(1514038000000, 1514060000000))
    tpl = [
        ("Step_LSC", T("onStandStepChanged §n§", 30, {"n": lambda: num(3000, 9000)})),
        ("Step_LSC", T("onExtend:§t§ §a§ §b§ §c§", 12, {"t": ts13, "a": pick(["0", "1"]), "b": pick(["0", "1"]), "c": pick(["0", "1", "2"])})),
        ("Step_LSC", T("processHandleBroadcastAction action:android.intent.action.SCREEN_ON", 5)),
        ("Step_LSC", T("processHandleBroadcastAction action:android.intent.action.SCREEN_OFF", 4)),
        ("Step_LSC", T("onReceiveStepChanged()-> step=§s§ time=§t§", 6, {"s": lambda: num(3000, 9000), "t": ts13})),
        ("Step_StandReportReceiver", T("onReceive action: android.intent.action.SCREEN_ON", 5)),
        ("Step_StandReportReceiver", T("onReceive action: android.intent.action.SCREEN_OFF", 4)),
        ("Step_StandReportReceiver", T("REPORT : §a§ §b§ §c§ §d§", 8, {"a": lambda: num(3000, 9000), "b": lambda: num(1000, 9000), "c": lambda: num(100000, 200000), "d": lambda: num(100, 400)})),
        ("Step_SPUtils", T("getTodayTotalDetailSteps = §a§##§b§##§c§##§d§##§e§##§f§", 10, {"a": ts13, "b": lambda: num(3000, 9000), "c": lambda: num(100000, 900000), "d": lambda: num(1000, 9999), "e": lambda: num(10000, 20000), "f": lambda: num(10**7, 10**8)})),
        ("Step_SPUtils", T("setTodayTotalDetailSteps=§a§##§b§##§c§##§d§##§e§##§f§", 10, {"a": ts13, "b": lambda: num(3000, 9000), "c": lambda: num(100000, 900000), "d": lambda: num(1000, 9999), "e": lambda: num(10000, 20000), "f": lambda: num(10**7, 10**8)})),
        ("Step_StandStepCounter", T("flush sensor data", 8)),
        ("Step_ScreenUtil", T("screen status unknown,think screen on", 4)),
        ("Step_ExtSDM", T("calculateCaloriesWithCache totalCalories=§n§", 8, {"n": lambda: num(100000, 200000)})),
        ("Step_ExtSDM", T("calculateAltitudeWithCache totalAltitude=§n§", 6, {"n": lambda: num(0, 300)})),
        ("Step_DataCache", T("upLoadOneMinuteDataToEngine time=§t§,step=§s§,totalStep=§u§", 3, {"t": ts13, "s": lambda: num(0, 200), "u": lambda: num(3000, 9000)})),
        ("HiH_HiHealthDataInsertStore", T("insertHiHealthData() bulkSaveDetailHiHealthData fail errorCode = §c§,errorMsg = hiHealthDataList is null or empty", 2, {"c": pick(["4"])})),
        ("HiH_HiHealthDataInsertStore", T("saveHealthDetailData() deviceID = §d§", 2, {"d": pick(["1", "2"])})),
        ("HiH_HiSyncUtil", T("checkIfSyncing isSyncing = false", 1)),
        ("HiH_ListenerManager", T("onChange type = §t§ , mLastType = §l§", 2, {"t": pick(["1", "2", "3"]), "l": pick(["1", "2", "3"])})),
        ("Step_NotificationUtil", T("updateNotification:§n§", 3, {"n": lambda: num(3000, 9000)})),
        ("HiH_HiBroadcastUtil", T("sendSyncFailedBroadcast", 1)),
        ("Step_StandStepCounter", T("registerStepListener success", 1)),
    ]
    clock = Clock(dt.datetime(2017, 12, 23, 22, 15, 29), 60)
    rows = []
    for _ in range(n):
        comp, t = R.choices(tpl, weights=[x[1].weight for x in tpl])[0]
        content = t.render()
        now = clock.tick()
        stamp = now.strftime("%Y%m%d-%H:%M:%S:") + "%d" % (now.microsecond // 1000)
        p = R.choice(["30002312", "30002312", "30002312", "30003144", "23"])
        rows.append(("%s|%s|%s|%s" % (stamp, comp, p, content), content, t.truth))
    return rows

# ---------------------------------------------------------------- Proxifier
def proxifier(n, star64):
    progs = ["chrome.exe", "chrome.exe", "chrome.exe", "firefox.exe", "Dropbox.exe", "WeChat.exe",
             "Skype.exe", "YodaoDict.exe", "putty.exe", "QQProtect.exe", "SogouCloud.exe"]
    star = ["svchost.exe *64", "chrome.exe *64", "OneDrive.exe *64"]
    dest = lambda: R.choice(["proxy.cse.cuhk.edu.hk:5070", "play.google.com:443",
                             "www.google.com.hk:443", "clients4.google.com:443",
                             "%s:443" % ip(), "d.dropbox.com:443", "182.254.116.116:80",
                             "short.weixin.qq.com:80", "ssl.gstatic.com:443"])
    kb = lambda: "%.2f" % R.uniform(1, 999)
    mb = lambda: "%.2f" % R.uniform(1, 20)
    life = lambda: R.choice(["<1 sec", "00:01", "00:02", "00:12", "01:05", "%02d:%02d" % (R.randint(0, 59), R.randint(0, 59)), "%02d:%02d:%02d" % (R.randint(1, 2), R.randint(0, 59), R.randint(0, 59))])
    small = lambda: num(0, 1023)
    big = lambda: num(1024, 999999)
    proxy = pick(["proxy.cse.cuhk.edu.hk:5070"])
    tpl = [
        T("§d§ open through proxy §p§ HTTPS", 40, {"d": dest, "p": proxy}),
        T("§d§ open through proxy §p§ SOCKS5", 8, {"d": dest, "p": proxy}),
        T("§d§ close, §a§ bytes sent, §b§ bytes received, lifetime §l§", 12, {"d": dest, "a": small, "b": small, "l": life}),
        T("§d§ close, §a§ bytes (§k§ KB) sent, §b§ bytes (§m§ KB) received, lifetime §l§", 20, {"d": dest, "a": big, "b": big, "k": kb, "m": kb, "l": life}),
        T("§d§ close, §a§ bytes sent, §b§ bytes (§m§ KB) received, lifetime §l§", 8, {"d": dest, "a": small, "b": big, "m": kb, "l": life}),
        T("§d§ close, §a§ bytes (§k§ KB) sent, §b§ bytes received, lifetime §l§", 4, {"d": dest, "a": big, "b": small, "k": kb, "l": life}),
        T("§d§ close, §a§ bytes (§k§ KB) sent, §b§ bytes (§m§ MB) received, lifetime §l§", 3, {"d": dest, "a": big, "b": lambda: num(10**6, 2 * 10**7), "k": kb, "m": mb, "l": life}),
        T("§d§ error : Could not connect through proxy §p§ - Proxy server cannot establish a connection with the target, status code §c§", 5, {"d": dest, "p": proxy, "c": pick(["403", "502"])}),
        T("§d§ error : A connection request was canceled before the completion.", 3, {"d": dest}),
        T("§d§ error : Could not connect to proxy §p§ - connection attempt failed with error §c§", 2, {"d": dest, "p": proxy, "c": pick(["10061", "10060"])}),
    ]
    clock = Clock(dt.datetime(2016, 10, 30, 16, 49, 6), 30)
    rows = []
    for _ in range(n):
        t = choose(tpl)
        content = t.render()
        now = clock.tick()
        prog = R.choice(star) if R.random() < star64 else R.choice(progs)
        line = "[%02d.%02d %s] %s - %s" % (now.month, now.day, now.strftime("%H:%M:%S"), prog, content)
        rows.append((line, content, t.truth))
    return rows

# ---------------------------------------------------------------- OpenSSH
def openssh(n):
    port = lambda: num(1024, 65000)
    inval = pick(USERS_INVALID)
    tpl = [
        T("reverse mapping checking getaddrinfo for §h§ [§ip§] failed - POSSIBLE BREAK-IN ATTEMPT!", 25, {"h": lambda: rdns(0.4), "ip": ip}),
        T("Address §ip§ maps to §h§, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!", 5, {"ip": ip, "h": lambda: rdns(0.4)}),
        T("Invalid user §u§ from §ip§", 20, {"u": inval, "ip": ip}),
        T("input_userauth_request: invalid user §u§ [preauth]", 20, {"u": inval}),
        T("pam_unix(sshd:auth): check pass; user unknown", 15),
        T("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=§h§", 18, {"h": lambda: R.choice([ip(), rdns()])}),
        T("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=§h§  user=§u§", 25, {"h": lambda: R.choice([ip(), rdns()]), "u": pick(["root", "root", "admin", "ftp"])}),
        T("Failed password for §u§ from §ip§ port §p§ ssh2", 30, {"u": pick(["root", "root", "root", "admin", "git"]), "ip": ip, "p": port}),
        T("Failed password for invalid user §u§ from §ip§ port §p§ ssh2", 20, {"u": inval, "ip": ip, "p": port}),
        T("Failed none for invalid user §u§ from §ip§ port §p§ ssh2", 3, {"u": inval, "ip": ip, "p": port}),
        T("Received disconnect from §ip§: 11: Bye Bye [preauth]", 15, {"ip": ip}),
        T("Received disconnect from §ip§: 11: disconnected by user", 2, {"ip": ip}),
        T("Connection closed by §ip§ [preauth]", 10, {"ip": ip}),
        T("Did not receive identification string from §ip§", 3, {"ip": ip}),
        T("PAM §n§ more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=§h§  user=§u§", 6, {"n": pick(["2", "3", "4", "5"]), "h": ip, "u": pick(["root"])}),
        T("PAM §n§ more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=§h§", 2, {"n": pick(["1"]), "h": ip}),
        T("PAM service(sshd) ignoring max retries; §a§ > §b§", 5, {"a": pick(["5", "6"]), "b": pick(["3"])}),
        T("Disconnecting: Too many authentication failures for §u§ [preauth]", 4, {"u": pick(["root", "admin"])}),
        T("message repeated §n§ times: [ Failed password for §u§ from §ip§ port §p§ ssh2]", 4, {"n": pick(["2", "3", "4", "5"]), "u": pick(["root", "admin"]), "ip": ip, "p": port}),
        T("error: Received disconnect from §ip§: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]", 3, {"ip": ip}),
        T("fatal: Write failed: Connection reset by peer [preauth]", 2),
        T("Accepted password for §u§ from §ip§ port §p§ ssh2", 2, {"u": pick(["fztu", "curi"]), "ip": ip, "p": port}),
        T("pam_unix(sshd:session): session opened for user §u§ by (uid=0)", 2, {"u": pick(["fztu", "curi"])}),
        T("pam_unix(sshd:session): session closed for user §u§", 2, {"u": pick(["fztu", "curi"])}),
        T("Bad protocol version identification '§v§' from §ip§ port §p§", 1, {"v": pick(["GET / HTTP/1.1", "\\026\\003\\001"]), "ip": ip, "p": port}),
    ]
    clock = Clock(dt.datetime(2016, 12, 10, 6, 55, 46), 200)
    rows = []
    for _ in range(n):
        t = choose(tpl)
        content = t.render()
        line = "%s LabSZ sshd[%s]: %s" % (syslog_date(clock.tick()), num(20000, 30000), content)
        rows.append((line, content, t.truth))
    return rows

# ---------------------------------------------------------------- writer
def write(out, system, rows):
    d = os.path.join(out, system)
    os.makedirs(d, exist_ok=True)
    ids = {}
    for _, _, truth in rows:
        ids.setdefault(truth, "E%d" % (len(ids) + 1))
    with open(os.path.join(d, system + "_2k.log"), "w", newline="") as f:
        for line, _, _ in rows:
            f.write(line + "\n")
    with open(os.path.join(d, system + "_2k.log_structured.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["LineId", "Content", "EventId", "EventTemplate"])
        for i, (_, content, truth) in enumerate(rows, 1):
            w.writerow([i, content, ids[truth], truth])
    with open(os.path.join(d, system + "_2k.log_templates.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["EventId", "EventTemplate", "Occurrences"])
        for truth, eid in ids.items():
            w.writerow([eid, truth, sum(1 for r in rows if r[2] == truth)])

def main():
    global R
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="/tmp/loghub-synthetic")
    ap.add_argument("--lines", type=int, default=500)
    ap.add_argument("--proxifier-star64", type=float, default=0.05)
    a = ap.parse_args()
    R = random.Random(a.seed)
    n = a.lines
    write(a.out, "Linux", linux(n))
    write(a.out, "Mac", mac_sys(n))
    write(a.out, "Thunderbird", thunderbird(n))
    write(a.out, "HealthApp", healthapp(n))
    write(a.out, "Proxifier", proxifier(n, a.proxifier_star64))
    write(a.out, "OpenSSH", openssh(n))

if __name__ == "__main__":
    main()
