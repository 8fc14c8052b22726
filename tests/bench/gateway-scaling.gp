# gnuplot script of `make bench-gateway`: how serguardd's figures grow with
# the number of sessions. Call with -e "datafile='...'; outfile='...'";
# the data file is what gateway-load --data writes (columns in its header).
if (!exists("datafile")) datafile = 'gateway-scaling.dat'
if (!exists("outfile")) outfile = 'gateway-scaling.svg'
set terminal svg size 900,700 dynamic font "sans,11"
set output outfile
set multiplot layout 2,2 title "serguardd at scale (RS485 ports over ptys, 4 devices a port)"
set logscale x 2
set xlabel "sessions"
set grid
set key top left
set title "bring-up from cold"
set ylabel "seconds"
plot datafile using 1:2 with linespoints title "all sessions up"
set title "added latency at 1,000 messages/s"
set ylabel "microseconds"
plot datafile using 1:4 with linespoints title "median", \
     datafile using 1:5 with linespoints title "p99"
set title "saturation"
set key bottom left
set ylabel "messages/s"
set y2label "CPU ms per 1,000 messages"
set y2tics
set ytics nomirror
plot datafile using 1:6 with linespoints title "messages/s", \
     datafile using 1:7 axes x1y2 with linespoints title "serguardd CPU ms / 1,000"
unset y2tics
unset y2label
set ytics mirror
set key top right
set title "resident memory of serguardd after bring-up"
set ylabel "KiB per session"
set y2label "MiB in total"
set y2tics
set ytics nomirror
plot datafile using 1:($8/1024) with linespoints title "RSS / sessions", \
     datafile using 1:($9/1048576) axes x1y2 with linespoints title "RSS in total"
unset multiplot
