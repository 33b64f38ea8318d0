idleacc-profile 1 node d1 bin 3600
