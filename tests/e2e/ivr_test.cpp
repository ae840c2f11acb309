// The phone line against a real SIP peer: SIPp (Debian sip-tester) calls `meterdesk serve` on
// loopback and presses keys by SIP INFO (application/dtmf-relay) or RFC 2833 telephone-events
// (the pcaps sip-tester ships). Whole submissions, a wrong account, silence, a hang-up mid-way,
// and 20 calls at once, each for a different account.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "support/support.hpp"

using namespace md::test;

namespace {

constexpr const char* kNow = "2026-11-30T10:00:00+02:00";

int free_udp_port() {
  return free_port(SOCK_DGRAM);
}

// SIPp's answer to the request it received last: `status` ("200 OK") in that request's dialog,
// with `headers` (whole lines) before the empty body.
std::string answer(const std::string& status, const std::string& headers = "") {
  return "<send><![CDATA[\nSIP/2.0 " + status +
         "\n[last_Via:]\n[last_From:]\n[last_To:]\n[last_Call-ID:]\n[last_CSeq:]\n" + headers +
         "Content-Length: 0\n]]></send>\n";
}

// The other side's BYE, waited for up to `timeout_ms`, and its 200 OK.
std::string bye_answered(int timeout_ms) {
  return "<recv request=\"BYE\" timeout=\"" + std::to_string(timeout_ms) + "\"/>\n" +
         answer("200 OK");
}

// A SIPp caller: INVITE with PCMU + telephone-event, the keys, then the IVR's BYE (or ours after
// `hangup_after` keys). Keys: digits, '*', '#'; ',' waits a second; "[fN]" is column N of the
// -inf file (the caller's number is column 0). `ending`, when given, is what the caller does after
// the keys instead of waiting for the line's BYE (it gets the next CSeq of the call).
std::string scenario(bool info, const std::string& keys, int hangup_after = -1,
                     const std::function<std::string(int cseq)>& ending = {}) {
  const std::string from =
      "From: \"Caller\" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]\n";
  const std::string head = "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n" +
                           from + "To: <sip:ivr@[remote_ip]:[remote_port]>";
  std::string x = R"(<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="meterdesk">
<send retrans="500"><![CDATA[
INVITE sip:ivr@[remote_ip]:[remote_port] SIP/2.0
)" + head + R"(
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="200" rtd="true"/>
<send><![CDATA[
ACK sip:ivr@[remote_ip]:[remote_port] SIP/2.0
)" + head + R"([peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
<pause milliseconds="1000"/>
)";
  int cseq = 2, pressed = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string key(1, keys[i]);
    if (keys[i] == ',') {
      x += "<pause milliseconds=\"1000\"/>\n";
      continue;
    }
    if (keys[i] == '[') {
      auto end = keys.find(']', i);
      key = "[field" + keys.substr(i + 2, end - i - 2) + "]";
      i = end;
    }
    if (info) {
      x += "<send><![CDATA[\nINFO sip:ivr@[remote_ip]:[remote_port] SIP/2.0\n" + head +
           "[peer_tag_param]\nCall-ID: [call_id]\nCSeq: " + std::to_string(cseq++) +
           " INFO\nContact: sip:[field0]@[local_ip]:[local_port]\nMax-Forwards: 70\n"
           "Content-Type: application/dtmf-relay\nContent-Length: [len]\n\nSignal=" +
           key +
           "\nDuration=160\n]]></send>\n<recv response=\"200\"/>\n"
           "<pause milliseconds=\"100\"/>\n";
    } else {
      std::string name = key == "#" ? "pound" : key == "*" ? "star" : key;
      x += "<nop><action><exec play_pcap_audio=\"/usr/share/sip-tester/dtmf_2833_" + name +
           ".pcap\"/></action></nop>\n<pause milliseconds=\"250\"/>\n";
    }
    if (++pressed == hangup_after) break;
  }
  if (ending) {
    x += ending(cseq);
  } else if (hangup_after > 0) {
    x += "<send retrans=\"500\"><![CDATA[\nBYE sip:ivr@[remote_ip]:[remote_port] SIP/2.0\n" + head +
         "[peer_tag_param]\nCall-ID: [call_id]\nCSeq: " + std::to_string(cseq) +
         " BYE\nContact: sip:[field0]@[local_ip]:[local_port]\nMax-Forwards: 70\n"
         "Content-Length: 0\n]]></send>\n<recv response=\"200\" crlf=\"true\"/>\n";
  } else {
    x += bye_answered(120000);
  }
  return x + "</scenario>\n";
}

// RTP ports for SIPp's calls: a range of its own per test process (ctest runs tests side by side).
int media_port_base() {
  static int next = 30000 + static_cast<int>(getpid() % 300) * 100;
  int base = next;
  next += 50;
  return base;
}

// G.711 µ-law to linear.
std::int16_t ulaw_to_linear(std::uint8_t u) {
  u = static_cast<std::uint8_t>(~u);
  int t = ((u & 0x0F) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return static_cast<std::int16_t>((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

// The audio the line sends to a caller: an RTP receiver on a port of its own, which the caller's
// SDP names. PCMU payloads are placed by their RTP timestamps (a lost packet leaves silence).
class RtpSink {
 public:
  RtpSink() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~RtpSink() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  RtpSink(const RtpSink&) = delete;
  RtpSink& operator=(const RtpSink&) = delete;
  [[nodiscard]] int port() const { return port_; }

  // Every sample heard so far, 8 kHz, in time order.
  std::vector<std::int16_t> samples() {
    std::lock_guard lock(mutex_);
    std::vector<std::int16_t> out;
    if (packets_.empty()) return out;
    const std::uint32_t first = packets_.front().first;
    for (const auto& [ts, payload] : packets_) {
      const std::size_t at = static_cast<std::uint32_t>(ts - first);
      if (at > std::size_t{8000} * 600) continue;  // not this stream's time line
      if (out.size() < at + payload.size()) out.resize(at + payload.size(), 0);
      for (std::size_t i = 0; i < payload.size(); ++i) out[at + i] = ulaw_to_linear(payload[i]);
    }
    return out;
  }

 private:
  void run() {
    std::uint8_t buf[2048];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 12 || (buf[1] & 0x7F) != 0) continue;  // PCMU only; not DTMF events
      const std::size_t header = 12 + 4 * (buf[0] & 0x0F);
      if (static_cast<std::size_t>(n) <= header) continue;
      const std::uint32_t ts = (std::uint32_t{buf[4]} << 24) | (std::uint32_t{buf[5]} << 16) |
                               (std::uint32_t{buf[6]} << 8) | buf[7];
      std::lock_guard lock(mutex_);
      packets_.emplace_back(ts, std::vector<std::uint8_t>(buf + header, buf + n));
    }
  }

  int fd_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::pair<std::uint32_t, std::vector<std::uint8_t>>> packets_;
  std::thread thread_;
};

// A 16-bit mono WAV's samples (the data chunk, wherever it is).
std::vector<std::int16_t> wav_samples(const std::string& path) {
  const std::string bytes = read_file(path);
  std::vector<std::int16_t> out;
  for (std::size_t at = 12; at + 8 <= bytes.size();) {
    const std::uint32_t size =
        static_cast<std::uint8_t>(bytes[at + 4]) | (static_cast<std::uint8_t>(bytes[at + 5]) << 8) |
        (static_cast<std::uint8_t>(bytes[at + 6]) << 16) |
        (static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[at + 7])) << 24);
    if (bytes.compare(at, 4, "data") == 0) {
      const std::size_t end = std::min(bytes.size(), at + 8 + size);
      for (std::size_t i = at + 8; i + 1 < end; i += 2)
        out.push_back(static_cast<std::int16_t>(static_cast<std::uint8_t>(bytes[i]) |
                                                (static_cast<std::uint8_t>(bytes[i + 1]) << 8)));
      break;
    }
    at += 8 + size + (size & 1);
  }
  return out;
}

// Normalised cross-correlation of `want` with `heard` starting at `at`.
double correlation(const std::vector<std::int16_t>& heard, std::size_t at,
                   const std::vector<std::int16_t>& want) {
  double xy = 0, xx = 0, yy = 0;
  for (std::size_t i = 0; i < want.size() && at + i < heard.size(); ++i) {
    const double x = heard[at + i], y = want[i];
    xy += x * y;
    xx += x * x;
    yy += y * y;
  }
  return xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0;
}

// Where `want` is best found in `heard` at or after `from`, and how well: first by 10 ms energy
// frames (cheap), then sample by sample around the best frames.
std::pair<std::size_t, double> find_audio(const std::vector<std::int16_t>& heard, std::size_t from,
                                          const std::vector<std::int16_t>& want) {
  constexpr std::size_t kFrame = 80;
  auto energies = [](const std::vector<std::int16_t>& x, std::size_t start) {
    std::vector<std::int16_t> e;
    for (std::size_t f = start; f + kFrame <= x.size(); f += kFrame) {
      double sum = 0;
      for (std::size_t i = f; i < f + kFrame; ++i) sum += std::abs(static_cast<double>(x[i]));
      e.push_back(static_cast<std::int16_t>(std::min(32767.0, sum / kFrame)));
    }
    return e;
  };
  const auto eh = energies(heard, from), ew = energies(want, 0);
  std::vector<std::pair<double, std::size_t>> coarse;
  for (std::size_t k = 0; k + ew.size() <= eh.size(); ++k)
    coarse.emplace_back(correlation(eh, k, ew), k);
  std::sort(coarse.rbegin(), coarse.rend());
  std::pair<std::size_t, double> best{from, 0};
  for (std::size_t c = 0; c < std::min<std::size_t>(3, coarse.size()); ++c) {
    const std::size_t centre = from + coarse[c].second * kFrame;
    for (std::size_t at = centre > 2 * kFrame ? centre - 2 * kFrame : 0; at <= centre + 2 * kFrame;
         ++at) {
      const double r = correlation(heard, at, want);
      if (r > best.second) best = {at, r};
    }
  }
  return best;
}

// The environment of a server that transfers calls: under ASan, LeakSanitizer is told of
// liblinphone's own leak in sending a REFER (tests/support/lsan.supp; the full stacks it needs to
// match the library's frame come from the slow unwinder).
std::map<std::string, std::string> transferring(std::map<std::string, std::string> env) {
#if defined(__SANITIZE_ADDRESS__)
  const char* asan = std::getenv("ASAN_OPTIONS");
  env["ASAN_OPTIONS"] = std::string(asan ? asan : "") + ":fast_unwind_on_malloc=0";
  env["LSAN_OPTIONS"] = "suppressions=" + source_dir() + "/tests/support/lsan.supp";
#endif
  return env;
}

class IvrTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string db = dir.file("ivr.db");
  int sip_port = free_udp_port();
  std::unique_ptr<ServerProcess> server;

  void SetUp() override {
    write_file(dir.file("accounts.csv"), accounts_csv(20));
    ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("accounts.csv"), "--db", db, "--now",
                             "2026-01-10T12:00:00"})
                  .exit_code,
              0);
    start_server({{"METERDESK_IVR_TIMEOUT", "2"}});
  }

  // (Re)starts the server with its phone line on `sip_port` and these settings.
  void start_server(std::map<std::string, std::string> env) {
    server.reset();
    env["METERDESK_IVR_LISTEN"] = "127.0.0.1:" + std::to_string(sip_port);
    server = std::make_unique<ServerProcess>(db, std::vector<std::string>{"--now", kNow}, env);
  }

  // Runs SIPp with the scenario and the callers' CSV; returns its exit code (0: every call as
  // the scenario says).
  int call(const std::string& xml, const std::string& csv, int calls = 1) {
    static int n = 0;
    std::string name = "s" + std::to_string(++n);
    write_file(dir.file(name + ".xml"), xml);
    write_file(dir.file(name + ".csv"), csv);
    for (int attempt = 0;; ++attempt) {
      std::string cmd = "cd " + dir.path().string() +
                        " && timeout 180 sipp 127.0.0.1:" + std::to_string(sip_port) + " -sf " +
                        name + ".xml -inf " + name + ".csv -i 127.0.0.1 -p " +
                        std::to_string(free_udp_port()) + " -mi 127.0.0.1 -mp " +
                        std::to_string(media_port_base()) + " -m " + std::to_string(calls) +
                        " -l " + std::to_string(calls) + " -r " + std::to_string(calls) +
                        " -nostdin -trace_err > " + name + ".out 2>&1";
      int status = std::system(cmd.c_str());
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      // 254: SIPp could not bind one of its ports (taken by another test meanwhile): no call was
      // placed, so it is tried again on other ports.
      if (code == 254 && attempt < 3) continue;
      // A failed call says why: SIPp's summary and the messages it did not expect.
      if (code != 0) std::cerr << "sipp exit " << code << ":\n" << sipp_report(name) << '\n';
      return code;
    }
  }
  // SIPp's output and its error log (-trace_err: NAME_PID_errors.log) for the run NAME.
  std::string sipp_report(const std::string& name) {
    std::string report = read_file(dir.file(name + ".out"));
    for (const auto& f : std::filesystem::directory_iterator(dir.path()))
      if (f.path().filename().string().starts_with(name + "_") &&
          f.path().string().ends_with("_errors.log"))
        report += "\n" + f.path().filename().string() + ":\n" + read_file(f.path().string());
    return report;
  }
  std::string q(const std::string& sql) { return sql_value(db, sql); }
  void TearDown() override {
    // Whatever the callers typed, the log names no one.
    if (server) {
      EXPECT_EQ(personal_data_in(server->log(), 20), "") << server->log();
    }
  }
};

TEST_F(IvrTest, AWholeSubmissionBySipInfo) {
  ASSERT_EQ(
      call(scenario(true, "2,0123456789#4567#12120#6060#,1,9"), "SEQUENTIAL\n380999999999;\n"), 0)
      << server->log();
  EXPECT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'ivr'"), "12120/6060")
      << server->log();
  EXPECT_NE(server->log().find("stored reading R-"), std::string::npos);
}

TEST_F(IvrTest, AWholeSubmissionByRfc2833TelephoneEvents) {
  // The caller's number is on file: 1 takes the account ending 6789 and its only meter.
  ASSERT_EQ(call(scenario(false, "2,1,12130#6070#,1,9"), "SEQUENTIAL\n380671234567;\n"), 0)
      << server->log();
  EXPECT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'ivr'"), "12130/6070");
}

TEST_F(IvrTest, WithTheCallerNumberNotTrustedTheSerialIsAskedToo) {
  // ivr.trust_caller_number = false: 1 takes the account on file, the serial's last four digits
  // are still asked (with the number trusted, 4567 would be the day zone's value).
  start_server({{"METERDESK_IVR_TIMEOUT", "2"}, {"METERDESK_IVR_TRUST_CALLER_NUMBER", "false"}});
  ASSERT_EQ(call(scenario(false, "2,1,4567#12130#6070#,1,9"), "SEQUENTIAL\n380671234567;\n"), 0)
      << server->log();
  EXPECT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'ivr'"), "12130/6070");
}

// A caller typing slowly, sending keys and no audio (SIP INFO), is not cut off by a media time-out
// (liblinphone's is 30 s): 40 s of keys, the reading stored.
TEST_F(IvrTest, ASlowCallerWithKeysAndNoAudioIsNotCutOff) {
  start_server({{"METERDESK_IVR_TIMEOUT", "10"}});
  ASSERT_EQ(
      call(
          scenario(true, "2,,,,,,0123456789#,,,,,,,,,4567#,,,,,,,,,12120#,,,,,,,,,6060#,,,,,,,1,9"),
          "SEQUENTIAL\n380999999999;\n"),
      0)
      << server->log();
  EXPECT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'ivr'"), "12120/6060")
      << server->log();
}

TEST_F(IvrTest, AWrongAccountThreeTimesEndsTheCallAndStoresNothing) {
  ASSERT_EQ(
      call(scenario(true, "2,0123456789#0000#0123456789#0001#12#"), "SEQUENTIAL\n380999999999;\n"),
      0)
      << server->log();
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr'"), "0");
  EXPECT_EQ(q("SELECT count(*) FROM audit WHERE channel = 'ivr'"), "0");
}

// Three wrong accounts with `ivr.transfer` set: the line REFERs the caller to the operators'
// desk (RFC 3515, a blind transfer). The caller (SIPp) answers 202, calls the Refer-To address,
// which a second SIPp plays as the desk (it must see the INVITE come from the caller's number),
// reports the desk's 200 in a NOTIFY, and the line hangs up its leg.
TEST_F(IvrTest, ThreeFailuresPutTheCallerThroughToTheOperatorsDesk) {
  const int desk_port = free_udp_port();
  const std::string desk = "sip:operators@127.0.0.1:" + std::to_string(desk_port);
  const std::string caller = "380999999999";
  start_server(transferring({{"METERDESK_IVR_TIMEOUT", "2"}, {"METERDESK_IVR_TRANSFER", desk}}));

  // The desk: one call, whose From must be the caller's number, answered, then the caller's BYE.
  write_file(dir.file("desk.xml"),
             R"S(<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="desk">
<recv request="INVITE">
  <action>
    <ereg regexp="&lt;sip:)S" +
                 caller + R"S(@" search_in="hdr" header="From:" check_it="true" assign_to="from"/>
    <ereg regexp="sip:ivr@" search_in="hdr" header="Referred-By:" check_it="true" assign_to="by"/>
    <log message="call from [$from] referred by [$by]"/>
  </action>
</recv>
<send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]Desk[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
<send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]Desk[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:operators@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=desk 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
<recv request="ACK"/>
)S" + bye_answered(60000) +
                 "</scenario>\n");
  const std::string desk_cmd =
      "cd " + dir.path().string() + " && timeout 120 sipp -sf desk.xml -i 127.0.0.1 -p " +
      std::to_string(desk_port) + " -mi 127.0.0.1 -mp " + std::to_string(media_port_base()) +
      " -m 1 -nostdin -trace_err -trace_msg > desk.out 2>&1";
  int desk_status = -1;
  std::thread desk_thread([&] { desk_status = std::system(desk_cmd.c_str()); });

  const std::string ivr = "sip:ivr@127.0.0.1:" + std::to_string(sip_port);
  // Where the caller's next requests go: the desk, or back to the line.
  auto setdest = [](int port) {
    return R"S(<nop><action><setdest host="127.0.0.1" port=")S" + std::to_string(port) +
           "\" protocol=\"udp\"/></action></nop>\n";
  };
  // A request the caller sends in its own name, up to its own headers and body.
  auto request = [](const std::string& method, const std::string& uri, const std::string& to,
                    const std::string& cseq) {
    return std::string(method == "ACK" ? "<send>" : "<send retrans=\"500\">") + "<![CDATA[\n" +
           method + " " + uri +
           " SIP/2.0\nVia: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
           "From: \"Caller\" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00"
           "[call_number]\nTo: " +
           to + "\nCall-ID: [call_id]\nCSeq: " + cseq + " " + method + "\nMax-Forwards: 70\n";
  };
  const std::string contact = "Contact: <sip:[field0]@[local_ip]:[local_port]>\n";
  const std::string desk_dialog = "<" + desk + ">;tag=[$desktag]";
  auto transfer = [&](int cseq) {
    return R"S(<recv request="REFER" timeout="60000">
  <action>
    <ereg regexp="&lt;?)S" +
           desk +
           R"S(&gt;?" search_in="hdr" header="Refer-To:" check_it="true" assign_to="referto"/>
    <ereg regexp="tag=([^;>[:space:]]+)" search_in="hdr" header="From:" check_it="true" assign_to="x,ivrtag"/>
    <log message="referred to [$referto] by [$x]"/>
  </action>
</recv>
)S" + answer("202 Accepted", contact) +
           setdest(desk_port) + request("INVITE", desk, "<" + desk + ">", "1") + contact +
           "Referred-By: <" + ivr + ">\n" + R"S(Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="200">
  <action>
    <ereg regexp="tag=([^;>[:space:]]+)" search_in="hdr" header="To:" check_it="true" assign_to="y,desktag"/>
    <log message="the desk answered: [$y]"/>
  </action>
</recv>
)S" + request("ACK", desk, desk_dialog, "1") +
           "Content-Length: 0\n]]></send>\n" + setdest(sip_port) +
           request("NOTIFY", ivr, "<" + ivr + ">;tag=[$ivrtag]", std::to_string(cseq)) + contact +
           R"S(Event: refer
Subscription-State: terminated;reason=noresource
Content-Type: message/sipfrag;version=2.0
Content-Length: [len]

SIP/2.0 200 OK
]]></send>
<recv response="200"/>
)S" + bye_answered(30000) +
           setdest(desk_port) + request("BYE", desk, desk_dialog, "2") +
           "Content-Length: 0\n]]></send>\n<recv response=\"200\"/>\n";
  };
  const int code = call(scenario(true, "2,0123456789#0000#0123456789#0001#12#", -1, transfer),
                        "SEQUENTIAL\n" + caller + ";\n");
  desk_thread.join();
  ASSERT_EQ(code, 0) << server->log();
  EXPECT_TRUE(WIFEXITED(desk_status) && WEXITSTATUS(desk_status) == 0)
      << "the desk did not get the caller's call as expected:\n"
      << sipp_report("desk");
  EXPECT_NE(server->log().find("put through to the operators"), std::string::npos) << server->log();
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr'"), "0");
}

// A phone that cannot be transferred refuses the REFER: the caller has heard the other channels,
// and the line lets them go rather than holding a silent call.
TEST_F(IvrTest, APhoneThatRefusesTheTransferIsLetGo) {
  start_server(transferring(
      {{"METERDESK_IVR_TIMEOUT", "2"}, {"METERDESK_IVR_TRANSFER", "sip:operators@127.0.0.1:9"}}));
  auto refuse = [](int) {
    return R"S(<recv request="REFER" timeout="60000"/>
)S" + answer("603 Decline") +
           bye_answered(30000);
  };
  ASSERT_EQ(call(scenario(true, "2,0123456789#0000#0123456789#0001#12#", -1, refuse),
                 "SEQUENTIAL\n380999999999;\n"),
            0)
      << server->log();
  EXPECT_NE(server->log().find("the operators could not be reached"), std::string::npos)
      << server->log();
}

TEST_F(IvrTest, SilenceIsAskedTwiceMoreThenTheLineHangsUp) {
  ASSERT_EQ(call(scenario(true, "2"), "SEQUENTIAL\n380999999999;\n"), 0) << server->log();
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr'"), "0");
}

TEST_F(IvrTest, AHangUpMidWayStoresNothing) {
  // Everything but the confirmation, then the caller hangs up.
  ASSERT_EQ(
      call(scenario(true, "2,0123456789#4567#12120#6060#", 28), "SEQUENTIAL\n380999999999;\n"), 0)
      << server->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr'"), "0");
}

TEST_F(IvrTest, AWholeSubmissionByInBandTonesWithTheDetectorSwitchedOn) {
  start_server({{"METERDESK_IVR_INBAND_DTMF", "true"}});
  // The keys as µ-law DTMF tones (100 ms tone, 100 ms pause; '.' a second of silence), streamed
  // by SIPp as the call's audio.
  const std::map<char, std::pair<int, int>> freq = {
      {'1', {697, 1209}}, {'2', {697, 1336}}, {'3', {697, 1477}}, {'4', {770, 1209}},
      {'5', {770, 1336}}, {'6', {770, 1477}}, {'7', {852, 1209}}, {'8', {852, 1336}},
      {'9', {852, 1477}}, {'*', {941, 1209}}, {'0', {941, 1336}}, {'#', {941, 1477}}};
  const std::string keys = "2....0123456789#4567#12120#..6060#..1..9";
  const std::string d = dir.path().string();
  std::string parts;
  ASSERT_EQ(std::system(("cd " + d + " && sox -n -r 8000 -c 1 -b 16 gap.wav trim 0 0.1 && " +
                         "sox -n -r 8000 -c 1 -b 16 pause.wav trim 0 1")
                            .c_str()),
            0);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == '.') {
      parts += " pause.wav";
      continue;
    }
    auto [low, high] = freq.at(keys[i]);
    std::string name = "k" + std::to_string(i) + ".wav";
    ASSERT_EQ(
        std::system(("cd " + d + " && sox -n -r 8000 -c 1 -b 16 " + name + " synth 0.1 sine " +
                     std::to_string(low) + " sine " + std::to_string(high) + " channels 1 gain -6")
                        .c_str()),
        0);
    parts += " " + name + " gap.wav";
  }
  ASSERT_EQ(
      std::system(
          ("cd " + d + " && sox" + parts + " all.wav && sox all.wav -e u-law tones.wav").c_str()),
      0);
  std::string xml = scenario(true, "");
  auto at = xml.find("<pause milliseconds=\"1000\"/>");
  xml.insert(at, "<nop><action><exec rtp_stream=\"" + d +
                     "/tones.wav,1,0\"/></action></nop>\n<pause milliseconds=\"17000\"/>\n");
  ASSERT_EQ(call(xml, "SEQUENTIAL\n380999999999;\n"), 0) << server->log();
  EXPECT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'ivr'"), "12120/6060")
      << server->log();
}

TEST_F(IvrTest, GarbageAndUnsupportedCodecsAreRefusedAndTheLineKeepsAnswering) {
  // Garbage datagrams and broken SIP at the line's port.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(static_cast<std::uint16_t>(sip_port));
  std::mt19937 rng(7);
  std::vector<std::string> junk = {
      "INVITE sip:ivr SIP/2.0\r\n\r\n", "SIP/2.0 200 OK\r\nVia: nowhere\r\n\r\n",
      "INVITE sip:ivr@127.0.0.1 SIP/2.0\r\nContent-Length: 99999\r\n\r\nv=0",
      "OPTIONS sip:ivr@127.0.0.1 SIP/2.0\r\nX: " + std::string(1300, 'x') + "\r\n\r\n"};
  for (int i = 0; i < 200; ++i) {
    std::string bytes(1 + rng() % 1400, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng());
    junk.push_back(bytes);
  }
  for (const auto& j : junk)
    ::sendto(fd, j.data(), j.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  ::close(fd);

  // An offer with G.729 only: 488, as RFC 3261 says for no common codec.
  std::string g729 = scenario(true, "", 0);
  g729.replace(g729.find("RTP/AVP 0 101"), 13, "RTP/AVP 18");
  g729.replace(g729.find("a=rtpmap:0 PCMU/8000"), 20, "a=rtpmap:18 G729/8000");
  auto ok = g729.find("<recv response=\"200\" rtd=\"true\"/>");
  g729 = g729.substr(0, ok) + "<recv response=\"488\"/>\n</scenario>\n";
  EXPECT_EQ(call(g729, "SEQUENTIAL\n380999999999;\n"), 0) << server->log();

  // A caller who sends no audio at all still gets through (SIPp sends none with SIP INFO).
  EXPECT_EQ(call(scenario(true, "2", 1), "SEQUENTIAL\n380999999999;\n"), 0) << server->log();
  EXPECT_EQ(::kill(server->pid(), 0), 0) << "the line is still up";
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr'"), "0");
}

// baresip (Debian) as a phone: it calls the line, is driven over its ctrl_tcp port with
// netstring JSON commands, and records what it heard (sndfile); the recording must hold speech.
// What the line says reaches the caller, every prompt whole: the caller's SDP names an RTP
// receiver of the test's own, the keys come after each prompt has had time to end, and each
// prompt the server's log says it played (digits aside) is found in the audio received, in order,
// the whole rendered prompt correlating with what arrived.
TEST_F(IvrTest, EveryPromptPlayedReachesTheCallerWhole) {
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan the media engine's 20 ms ticks run late and its RTP leaves gaps (measured: the
  // longer prompts correlate at 0.1-0.8 though none was cut): the audio is what is checked here,
  // and the Release run checks it; the sanitizers check the rest of the phone line's tests.
  GTEST_SKIP() << "real-time audio fidelity is checked in the Release build";
#endif
  start_server({{"METERDESK_IVR_TIMEOUT", "20"}, {"METERDESK_LOG_LEVEL", "debug"}});
  RtpSink sink;
  ASSERT_NE(sink.port(), 0);
  std::string xml = scenario(
      true, ",,,,,,2,,,,0123456789#,,,,,4567#,,,,,,,,,,12120#,,,,6060#,,,,,,,,,,,1,,,,,,,,,,9");
  const auto media = xml.find("[auto_media_port]");
  ASSERT_NE(media, std::string::npos);
  xml.replace(media, 17, std::to_string(sink.port()));
  ASSERT_EQ(call(xml, "SEQUENTIAL\n380999999999;\n"), 0) << server->log();
  ASSERT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'ivr'"), "12120/6060");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::vector<std::int16_t> heard = sink.samples();
  ASSERT_GT(heard.size(), 8000u * 20) << "at least 20 s of the line's audio";

  // The prompts the log names, step by step; a step whose prompt a key cut short (barge-in) or
  // that keys already waiting skipped is not owed whole (a slow machine, e.g. under ASan, makes
  // more of them), every other one is.
  const std::string log = server->log();
  std::vector<std::pair<std::string, bool>> played;  // name, owed whole
  const std::regex line(R"(ivr: call \S+ (?:ok=true plays (.*)then \d|prompt (cut|skipped)))");
  std::size_t step_begins = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it) {
    if ((*it)[2].matched) {
      for (std::size_t i = step_begins; i < played.size(); ++i) played[i].second = false;
      continue;
    }
    step_begins = played.size();
    std::istringstream names((*it)[1].str());
    for (std::string name; names >> name;) played.emplace_back(name, true);
  }
  for (const char* must : {"ivr.welcome", "ivr.enter_account", "ivr.zone.day", "ivr.send_or_again",
                           "ivr.accepted", "ivr.goodbye"})
    EXPECT_TRUE(
        std::any_of(played.begin(), played.end(), [&](const auto& p) { return p.first == must; }))
        << must << "\n"
        << log;
  const std::string prompts =
      std::filesystem::path(meterdesk_binary()).parent_path().string() + "/prompts/uk/";
  std::size_t from = 0, whole = 0;
  for (const auto& [name, owed] : played) {
    const auto want = wav_samples(prompts + name + ".wav");
    ASSERT_GT(want.size(), 800u) << name;
    if (!owed) continue;
    auto [at, r] = find_audio(heard, from, want);
    EXPECT_GT(r, 0.9) << name << " was not heard whole (best correlation " << r << " at "
                      << static_cast<double>(at) / 8000 << " s)";
    if (r > 0.9) {
      from = at + want.size();
      ++whole;
    }
  }
  EXPECT_GE(whole, 10u) << "most of the call's prompts end before the next key\n" << log;
}

TEST_F(IvrTest, APhoneHearsTheGreeting) {
  const std::string conf = dir.file("baresip");
  std::filesystem::create_directories(conf + "/rec");
  const int sip = free_udp_port(), ctrl = free_udp_port();
  ASSERT_EQ(std::system(("sox -n -r 8000 -c 1 -b 16 " + conf + "/silence.wav trim 0 5").c_str()),
            0);
  write_file(conf + "/config",
             "module_path /usr/lib/baresip/modules\npoll_method epoll\nsip_listen 127.0.0.1:" +
                 std::to_string(sip) +
                 "\nnet_interface 127.0.0.1\ndns_server 127.0.0.1:53\n"
                 "audio_source aufile," +
                 conf +
                 "/silence.wav\nausrc_srate 8000\n"
                 "module g711.so\nmodule aufile.so\nmodule sndfile.so\nsnd_path " +
                 conf +
                 "/rec\nmodule_app account.so\nmodule_app contact.so\nmodule_app menu.so\n"
                 "module_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:" +
                 std::to_string(ctrl) + "\n");
  write_file(conf + "/accounts", "<sip:phone@127.0.0.1>;regint=0;audio_codecs=PCMU,PCMA\n");
  write_file(conf + "/contacts", "");
  pid_t phone = fork();
  if (phone == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execlp("baresip", "baresip", "-f", conf.c_str(), "-t", "60", static_cast<char*>(nullptr));
    _exit(127);
  }
  // ctrl_tcp: commands and events as netstrings ("LEN:{json},").
  int fd = -1;
  for (int i = 0; i < 100 && fd < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(ctrl));
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
      fd = s;
    else
      ::close(s);
  }
  ASSERT_GE(fd, 0) << "baresip's ctrl_tcp did not open";
  auto command = [&](const std::string& cmd, const std::string& params) {
    std::string body = R"({"command":")" + cmd + R"(","params":")" + params + R"(","token":"t"})";
    std::string net = std::to_string(body.size()) + ":" + body + ",";
    ::send(fd, net.data(), net.size(), MSG_NOSIGNAL);
  };
  auto wait_for = [&](const std::string& event, int seconds) {
    std::string seen;
    char buf[4096];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      seen.append(buf, static_cast<std::size_t>(n));
      if (seen.find(event) != std::string::npos) return true;
    }
    return false;
  };
  command("dial", "sip:ivr@127.0.0.1:" + std::to_string(sip_port));
  EXPECT_TRUE(wait_for("CALL_ESTABLISHED", 15));
  std::this_thread::sleep_for(std::chrono::seconds(4));  // the greeting plays
  command("hangup", "");
  wait_for("CALL_CLOSED", 5);
  ::close(fd);
  ::kill(phone, SIGTERM);
  int status = 0;
  waitpid(phone, &status, 0);
  // What the phone heard: the decoded far end, "*-dec.wav".
  std::string heard;
  for (const auto& f : std::filesystem::directory_iterator(conf + "/rec"))
    if (f.path().string().ends_with("-dec.wav")) heard = f.path().string();
  ASSERT_FALSE(heard.empty()) << "baresip recorded nothing";
  std::string cmd = "sox " + heard + " -n stat 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string stat;
  char buf[512];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) stat.append(buf, n);
  pclose(p);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(stat, m, std::regex(R"(RMS\s+amplitude:\s+([0-9.]+))"))) << stat;
  EXPECT_GT(std::stod(m[1]), 0.01) << "speech, not silence: " << stat;
  ASSERT_TRUE(std::regex_search(stat, m, std::regex(R"(Length \(seconds\):\s+([0-9.]+))")));
  EXPECT_GT(std::stod(m[1]), 2.0) << stat;
}

TEST_F(IvrTest, TwentyCallsAtOnceEachForADifferentAccount) {
  std::string csv = "SEQUENTIAL\n";
  for (int i = 1; i <= 20; ++i) {
    char account[16], serial4[8];
    std::snprintf(account, sizeof account, "%010d", i);
    std::snprintf(serial4, sizeof serial4, "%04d", i);
    csv += "38050000" + std::string(account).substr(6);
    for (char c : std::string(account) + serial4) csv += std::string(";") + c;
    csv += ";\n";
  }
  std::string keys = "2,";
  for (int f = 1; f <= 10; ++f) keys += "[f" + std::to_string(f) + "]";
  keys += "#";
  for (int f = 11; f <= 14; ++f) keys += "[f" + std::to_string(f) + "]";
  keys += "#1100#,1,9";
  ASSERT_EQ(call(scenario(true, keys), csv, 20), 0) << server->log();
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'ivr' AND v1 = 1100"), "20");
  EXPECT_EQ(q("SELECT count(DISTINCT account_id) FROM submissions WHERE channel = 'ivr'"), "20");
}

}  // namespace
