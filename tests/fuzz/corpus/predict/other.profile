idleacc-profile 1 node d2 bin 1800
b 0 1 1 1
