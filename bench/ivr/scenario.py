#!/usr/bin/env python3
"""Writes a SIPp UAC scenario that calls the IVR and presses keys.

  scenario.py MODE KEYS [--hangup-after N] > scenario.xml

MODE: info (SIP INFO application/dtmf-relay) or rfc2833 (RTP telephone-events from the pcaps
sip-tester ships). KEYS: the keys in order; ',' waits 1 s, '.' waits 5 s; [fieldN] uses column N
of the -inf CSV (one key per column). The call ends with the IVR's BYE, or ours after
--hangup-after keys."""
import sys

mode, keys = sys.argv[1], sys.argv[2]
hangup_after = None
start_pause = 1500
if "--start-pause" in sys.argv:
    start_pause = int(sys.argv[sys.argv.index("--start-pause") + 1])
if "--hangup-after" in sys.argv:
    hangup_after = int(sys.argv[sys.argv.index("--hangup-after") + 1])

out = []
w = out.append
w('<?xml version="1.0" encoding="ISO-8859-1" ?>')
w('<scenario name="meterdesk ivr">')
w('''<send retrans="500"><![CDATA[
INVITE sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:ivr@[remote_ip]:[remote_port]>
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
]]></send>''')
w('<recv response="100" optional="true"/>')
w('<recv response="180" optional="true"/>')
w('<recv response="183" optional="true"/>')
w('<recv response="200" rtd="true"/>')
w('''<send><![CDATA[
ACK sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:ivr@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>''')
w(f'<pause milliseconds="{start_pause}"/>')
names = {"#": "pound", "*": "star"}
cseq = 2
pressed = 0
i = 0
tokens = []
while i < len(keys):
    if keys[i] == "[":
        j = keys.index("]", i)
        tokens.append(keys[i:j + 1])
        i = j + 1
    else:
        tokens.append(keys[i])
        i += 1
for k in tokens:
    if k == ",":
        w('<pause milliseconds="1000"/>')
        continue
    if k == ".":
        w('<pause milliseconds="5000"/>')
        continue
    if mode == "info":
        w(f'''<send><![CDATA[
INFO sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:ivr@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: {cseq} INFO
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/dtmf-relay
Content-Length: [len]

Signal={k}
Duration=160
]]></send>''')
        w('<recv response="200"/>')
        cseq += 1
        w('<pause milliseconds="120"/>')
    else:
        w(f'<nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_{names.get(k, k)}.pcap"/></action></nop>')
        w('<pause milliseconds="250"/>')
    pressed += 1
    if hangup_after is not None and pressed == hangup_after:
        break
if hangup_after is not None:
    w(f'''<send retrans="500"><![CDATA[
BYE sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:ivr@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: {cseq} BYE
Contact: sip:[field0]@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>''')
    w('<recv response="200" crlf="true"/>')
else:
    w('<recv request="BYE" timeout="120000"/>')
    w('''<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0
]]></send>''')
w('<ResponseTimeRepartition value="10, 20, 30, 40, 50, 100, 150, 200"/>')
w('</scenario>')
print("\n".join(out))
