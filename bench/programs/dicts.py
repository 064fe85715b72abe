# python3 (PYTHONMALLOC=malloc, so every object comes from malloc): builds dicts of
# strings, tuples and lists, rebuilds and drops them; prints a checksum. Usage: dicts.py SCALE
import sys

scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
rounds = max(1, int(40 * scale))
total = 0
for r in range(rounds):
    index = {}
    for i in range(20000):
        key = "k%d-%d" % (i * 7919 % 10007, r)
        index.setdefault(key, []).append((i, str(i * i)))
    words = {}
    for key, items in index.items():
        for i, s in items:
            words[s[-3:]] = words.get(s[-3:], 0) + len(key)
    text = " ".join(sorted(words))
    total = (total * 31 + len(text) + sum(words.values()) + len(index)) % 1000000007
    del index, words, text
print("dicts checksum", total)
