/work/main/build/obj/common/nl_signal.o: /work/main/common/nl_signal.cpp \
 /work/main/common/nl_signal.h
/work/main/common/nl_signal.h:
