// Plays a WAV file once on a call's audio stream (see stream.cpp for why this is separate).
#pragma once

#include <string>

namespace md::ivr {

// `linphone_call` is the C LinphoneCall*; false when the call has no running audio stream.
bool play_on_call(void* linphone_call, const std::string& wav);

// Starts recording what the caller sends into `wav` (the use-files recorder), so in-band DTMF can
// be heard in it; false when the call has no running audio stream.
bool record_call(void* linphone_call, const std::string& wav);

}  // namespace md::ivr
