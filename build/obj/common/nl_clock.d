/work/main/build/obj/common/nl_clock.o: /work/main/common/nl_clock.cpp \
 /work/main/common/nl_clock.h
/work/main/common/nl_clock.h:
