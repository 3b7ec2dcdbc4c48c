#!/bin/sh
# subset.sh: how the embedded poster fonts were produced. CI does not run this;
# the output files are committed like any vendored asset.
#
# Source: Noto Sans CJK SC, version 2.004 (SIL Open Font License 1.1, see OFL.txt),
# as shipped by Debian 12 package fonts-noto-cjk (1:20220127+repack1-1), i.e. the
# upstream https://github.com/googlefonts/noto-cjk release "Sans2.004".
# Tools: Debian package python3-fonttools (fontTools 4.38.0).
#
#   apt-get install fonts-noto-cjk python3-fonttools
#   sh internal/publish/poster/font/subset.sh
#
# Outputs (in this directory):
#   NotoSansSC-Poster-Regular.otf  ASCII, Latin-1, general punctuation, CJK symbols
#                                  and punctuation, full-width forms, currency signs
#                                  and every character of GB2312 (6763 hanzi plus its
#                                  symbol rows) and of Big5 level 1 (frequent
#                                  traditional hanzi); CFF outlines, no hinting.
#   NotoSansSC-Poster-Bold.otf     Bold weight, only ASCII, ¥ and the few fixed labels
#                                  drawn in bold (prices, coupon badge): a few KB.
set -eu
cd "$(dirname "$0")"

PY=${PYTHON:-/usr/bin/python3}
SRC_DIR=${SRC_DIR:-/usr/share/fonts/opentype/noto}
# Index 2 of the Noto Sans CJK collections is "Noto Sans CJK SC".
FONT_NUMBER=2

"$PY" - <<'PYEOF' > unicodes-regular.txt
import sys
cps = set()
def rng(a, b):
    cps.update(range(a, b + 1))
rng(0x0020, 0x007E)   # ASCII
rng(0x00A0, 0x00FF)   # Latin-1 supplement (includes ¥ U+00A5)
rng(0x2000, 0x206F)   # general punctuation (— ‘ ’ “ ” … ‰ ※)
rng(0x20A0, 0x20BF)   # currency symbols
rng(0x2100, 0x214F)   # letterlike (℃ №  ™)
rng(0x2190, 0x21FF)   # arrows
rng(0x2460, 0x24FF)   # enclosed alphanumerics (① ②)
rng(0x25A0, 0x25FF)   # geometric shapes (■ □ ▲ ●), □ is the fallback box
rng(0x2600, 0x26FF)   # misc symbols (★ ☆)
rng(0x3000, 0x303F)   # CJK symbols and punctuation
rng(0x3040, 0x30FF)   # kana (Japanese brand names)
rng(0xFF00, 0xFFEF)   # half-width and full-width forms (￥)
# Every character of GB2312 (rows 0xA1-0xF7, cells 0xA1-0xFE).
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            s = bytes([hi, lo]).decode("gb2312")
        except UnicodeDecodeError:
            continue
        cps.update(ord(c) for c in s)
# Big5 level 1 (the 5401 frequent traditional hanzi, 0xA440-0xC67E) for
# traditional-script brand names and Tmall HK/TW titles.
for hi in range(0xA4, 0xC7):
    for lo in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
        try:
            s = bytes([hi, lo]).decode("big5")
        except UnicodeDecodeError:
            continue
        cps.update(ord(c) for c in s)
for c in sorted(cps):
    print("U+%04X" % c)
PYEOF

"$PY" - <<'PYEOF' > unicodes-bold.txt
cps = set(range(0x20, 0x7F)) | {0xA5, 0xFFE5}
cps |= {ord(c) for c in "券后原价到手省元起"}
for c in sorted(cps):
    print("U+%04X" % c)
PYEOF

subset() {
    "$PY" -m fontTools.subset "$1" \
        --font-number=$FONT_NUMBER \
        --unicodes-file="$2" \
        --output-file="$3" \
        --layout-features='kern' \
        --no-hinting \
        --name-IDs='*' --name-languages='*' --name-legacy \
        --notdef-outline \
        --drop-tables+=VORG,vhea,vmtx,DSIG
}
subset "$SRC_DIR/NotoSansCJK-Regular.ttc" unicodes-regular.txt NotoSansSC-Poster-Regular.otf
subset "$SRC_DIR/NotoSansCJK-Bold.ttc" unicodes-bold.txt NotoSansSC-Poster-Bold.otf
rm -f unicodes-regular.txt unicodes-bold.txt
ls -l NotoSansSC-Poster-Regular.otf NotoSansSC-Poster-Bold.otf
