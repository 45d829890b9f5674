/work/main/build/obj/support/nl_testproc.o: \
 /work/main/tests/support/nl_testproc.cpp \
 /work/main/tests/support/nl_testproc.h /work/main/common/nl_clock.h
/work/main/tests/support/nl_testproc.h:
/work/main/common/nl_clock.h:
