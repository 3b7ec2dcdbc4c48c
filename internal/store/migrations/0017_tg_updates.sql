-- tgmembers: the Telegram updates Qunke has applied, and the bot's own
-- standing in each chat. See internal/tgmembers and docs/telegram.md.
--
-- tg_updates_state holds, per bot (its numeric id from the token), the
-- next update_id to apply: getUpdates' offset when polling, and the floor
-- below which a webhook delivery is a repeat. It moves in the transaction
-- that applies the updates, so a crash neither loses nor doubles one.
CREATE TABLE tg_updates_state (
    bot_id TEXT PRIMARY KEY,
    next_offset {{bigint}} NOT NULL,
    updated_at {{bigint}} NOT NULL
);

-- tg_bot_chats: the bot's status in each chat, from my_chat_member updates
-- (Telegram sends chat_member updates only to a bot that is an admin).
CREATE TABLE tg_bot_chats (
    chat_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    username TEXT NOT NULL,
    status TEXT NOT NULL,
    is_admin {{bigint}} NOT NULL,
    updated_at {{bigint}} NOT NULL
);
