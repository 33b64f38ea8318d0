idleacc-profile 1 node d1 bin 3600
# bin returns exposure_seconds week
b 0 1.000000 3600.000 2969
b 8 3.500000 120.000 2968
b 167 0.000000 36000.000 2969
