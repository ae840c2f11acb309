// systemd's readiness protocol (sd_notify) without libsystemd: one datagram to $NOTIFY_SOCKET.
#pragma once
#include <string_view>

namespace md::app {
// Sends `state` ("READY=1", "STOPPING=1") when started by systemd with Type=notify; a no-op
// otherwise. True when a message was sent.
bool notify_systemd(std::string_view state);
}  // namespace md::app
