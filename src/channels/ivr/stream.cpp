// The one place that reaches into liblinphone's private API: in use-files mode Call::getPlayer
// does not work, so prompts are switched on the call's audio stream. linphone_call_get_stream is
// exported by liblinphone 5.1 but not declared in its installed headers (tests/ivr checks it).
#include "channels/ivr/stream.hpp"

#include <linphone/core.h>
#include <mediastreamer2/mediastream.h>
#include <mediastreamer2/msfileplayer.h>
#include <mediastreamer2/msfilerec.h>

extern "C" MediaStream* linphone_call_get_stream(LinphoneCall* call, LinphoneStreamType type);

namespace md::ivr {

bool play_on_call(void* linphone_call, const std::string& wav) {
  if (!linphone_call) return false;
  MediaStream* ms =
      linphone_call_get_stream(static_cast<LinphoneCall*>(linphone_call), LinphoneStreamTypeAudio);
  if (!ms) return false;
  auto* audio = reinterpret_cast<AudioStream*>(ms);  // MediaStream is AudioStream's first member
  if (!audio->soundread) return false;
  audio_stream_play(audio, wav.c_str());
  int once = -1;  // the file player loops unless told otherwise
  ms_filter_call_method(audio->soundread, MS_FILE_PLAYER_LOOP, &once);
  return true;
}

bool record_call(void* linphone_call, const std::string& wav) {
  if (!linphone_call) return false;
  MediaStream* ms =
      linphone_call_get_stream(static_cast<LinphoneCall*>(linphone_call), LinphoneStreamTypeAudio);
  if (!ms) return false;
  auto* audio = reinterpret_cast<AudioStream*>(ms);
  if (!audio->soundwrite) return false;
  ms_filter_call_method(audio->soundwrite, MS_FILE_REC_OPEN, const_cast<char*>(wav.c_str()));
  ms_filter_call_method_noarg(audio->soundwrite, MS_FILE_REC_START);
  return true;
}

}  // namespace md::ivr
