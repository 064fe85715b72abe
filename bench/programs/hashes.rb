# ruby: builds hashes of strings and arrays, sorts and transforms them, drops them;
# prints a checksum. Usage: hashes.rb SCALE
scale = (ARGV[0] || "1").to_f
rounds = [1, (30 * scale).to_i].max
total = 0
rounds.times do |r|
  h = {}
  20000.times do |i|
    k = "key#{(i * 7919) % 10007}-#{r}"
    (h[k] ||= []) << [i, (i * i).to_s]
  end
  words = Hash.new(0)
  h.each { |k, v| v.each { |i, s| words[s[-3..] || s] += k.size } }
  text = words.keys.sort.join(" ")
  total = (total * 31 + text.size + words.values.sum + h.size) % 1000000007
end
puts "hashes checksum #{total}"
