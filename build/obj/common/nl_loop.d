/work/main/build/obj/common/nl_loop.o: /work/main/common/nl_loop.cpp \
 /work/main/common/nl_loop_internal.h /work/main/common/nl_loop.h \
 /work/main/common/nl_clock.h /work/main/common/nl_log.h
/work/main/common/nl_loop_internal.h:
/work/main/common/nl_loop.h:
/work/main/common/nl_clock.h:
/work/main/common/nl_log.h:
