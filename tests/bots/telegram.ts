// The Bot API methods meterdesk calls, as their parameter types in @grammyjs/types.
import type { ApiMethods } from "@grammyjs/types";

type Params<M extends keyof ApiMethods<string>> = Parameters<ApiMethods<string>[M]>[0];
export type SendMessage = Params<"sendMessage">;
export type AnswerCallbackQuery = Params<"answerCallbackQuery">;
export type GetFile = Params<"getFile">;
