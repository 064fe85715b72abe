# perl: string building, regular expressions and hashes of arrays; prints a checksum.
# Usage: words.pl SCALE (run with PERL_HASH_SEED=0 for a fixed hash order; keys are sorted anyway)
use strict;
use warnings;
my $scale = $ARGV[0] // 1;
my $rounds = int(30 * $scale) || 1;
my $total = 0;
for my $r (1 .. $rounds) {
    my %h;
    for my $i (0 .. 19999) {
        my $k = sprintf("key%d-%d", ($i * 7919) % 10007, $r);
        push @{ $h{$k} }, [$i, "" . ($i * $i)];
    }
    my %words;
    for my $k (keys %h) {
        for my $e (@{ $h{$k} }) {
            my ($tail) = $e->[1] =~ /(\d{1,3})$/;
            $words{$tail} += length $k;
        }
    }
    my $text = join " ", sort keys %words;
    my $sum = 0;
    $sum += $_ for values %words;
    $total = ($total * 31 + length($text) + $sum + scalar(keys %h)) % 1000000007;
}
print "words checksum $total\n";
