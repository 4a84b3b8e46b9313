#!/bin/sh
# smee.sh - relays the App's webhook deliveries from a smee channel to the
# local web server, for a site GitHub cannot reach (no inbound access).
#
# GitHub posts each delivery to the channel (https://smee.io/NEW-CHANNEL,
# or your own smee server); smee-client holds a connection open to it
# (outbound HTTPS only) and posts each delivery to TARGET: the loopback
# listener of conf/nginx-eessi-bot.conf.  Set the App's webhook URL to the
# channel URL.  Needs smee-client (npm install -g smee-client@5.0.0).
#
# Every setting below can be given in the environment instead.  Run it as
# the bot's user (conf/eessi-bot-smee.service runs it under systemd).
#
# Signatures: smee delivers the body parsed and re-serialised
# (JSON.stringify), not the bytes GitHub signed.  The signature holds only
# when both are the same bytes: true for GitHub's compact JSON (measured:
# each of GitHub's 329 published example payloads gets the same answer
# through smee as sent straight).  A number written 7.0 (re-sent as 7), an
# escaped character (\u00e9, \/) or indented JSON breaks it: the handler
# refuses that delivery with 403 (smee-client logs "POST ... - 403").
# smee.io is meant for development: anyone who knows the channel URL sees
# the deliveries.

CHANNEL=${SMEE_URL:-https://smee.io/CHANGE-ME}                   # the channel
TARGET=${EESSI_BOT_WEBHOOK_URL:-http://127.0.0.1:8180/eessi-bot/webhook}
SMEE=${SMEE_CLIENT:-smee}                                        # smee-client's command

set -eu
case $CHANNEL in
*/CHANGE-ME) echo "smee.sh: set SMEE_URL to your channel's URL" >&2; exit 2 ;;
esac
# --url always: without it smee-client makes a new channel on smee.io
exec "$SMEE" --url "$CHANNEL" --target "$TARGET"
